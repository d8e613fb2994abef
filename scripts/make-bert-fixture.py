#!/usr/bin/env python3
"""Build the tiny BERT fixture in test/fixtures/bert-tiny/ (run once; the output is committed).

    /usr/bin/python3 scripts/make-bert-fixture.py      # Debian: apt-get install -y python3-torch

Debian bookworm has python3-torch (1.13) but neither python3-transformers nor python3-safetensors,
so this script contains:
  * a straightforward torch BERT written from the BERT paper / HF BertModel semantics, with
    Hugging Face's exact state-dict names (embeddings.word_embeddings.weight, …); it is the
    independent reference the TypeScript encoder is compared with;
  * a safetensors writer (8-byte LE header size, JSON header, raw LE data), following the spec;
  * a TensorFlow tensor-bundle writer (LevelDB-format SSTable .index of BundleEntryProto values,
    hand-encoded protobuf, masked CRC32C; .data-00000-of-00001 with raw LE tensors), following
    tensorflow/core/util/tensor_bundle and the LevelDB table format, so the TS checkpoint reader is
    tested against bytes produced by a different implementation. No TensorFlow is available here.

Outputs:
  config.json, vocab.txt, model.safetensors        HF layout
  google/bert_config.json, google/vocab.txt,
  google/bert_model.ckpt.index, google/bert_model.ckpt.data-00000-of-00001   Google layout
  snappy-bert_model.ckpt.index   the same index with snappy-compressed blocks (reader test)
  expected.json     titles, token ids, masks, token types and last hidden states [B, S, H]; and
                    gradients of sum(hidden · R) w.r.t. some weights (HF orientation) for a fixed R
"""
import json
import math
import os
import struct
import unicodedata

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'bert-tiny')

CONFIG = {
    'architectures': ['BertModel'],
    'model_type': 'bert',
    'vocab_size': None,  # filled from the vocabulary
    'hidden_size': 32,
    'num_hidden_layers': 2,
    'num_attention_heads': 4,
    'intermediate_size': 64,
    'max_position_embeddings': 64,
    'type_vocab_size': 2,
    'layer_norm_eps': 1e-12,
    'hidden_act': 'gelu',
    'hidden_dropout_prob': 0.1,
    'attention_probs_dropout_prob': 0.1,
    'initializer_range': 0.02,
    'pad_token_id': 0,
    'position_embedding_type': 'absolute',
}

VOCAB = (['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']
         + list('苹果手机壳小米充电器男士运动鞋茶杯红色大号新款包邮正品')
         + list('abcdefghijklmnopqrstuvwxyz') + list('0123456789') + list('-+/.()')
         + ['##s', '[unused1]'])

TITLES = ['苹果iPhone 12手机壳', '小米ＡＢＣ１２３充电器😀', '男士运动鞋', 'Café茶杯 红色']


# ---------------------------------------------------------------- reference model (torch)
class SelfAttention(nn.Module):
    def __init__(self, h):
        super().__init__()
        self.query = nn.Linear(h, h)
        self.key = nn.Linear(h, h)
        self.value = nn.Linear(h, h)


class AttnOutput(nn.Module):
    def __init__(self, h, eps):
        super().__init__()
        self.dense = nn.Linear(h, h)
        self.LayerNorm = nn.LayerNorm(h, eps=eps)


class Attention(nn.Module):
    def __init__(self, h, eps):
        super().__init__()
        self.self = SelfAttention(h)
        self.output = AttnOutput(h, eps)


class Intermediate(nn.Module):
    def __init__(self, h, i):
        super().__init__()
        self.dense = nn.Linear(h, i)


class Output(nn.Module):
    def __init__(self, h, i, eps):
        super().__init__()
        self.dense = nn.Linear(i, h)
        self.LayerNorm = nn.LayerNorm(h, eps=eps)


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        h, i, eps = c['hidden_size'], c['intermediate_size'], c['layer_norm_eps']
        self.attention = Attention(h, eps)
        self.intermediate = Intermediate(h, i)
        self.output = Output(h, i, eps)
        self.nh = c['num_attention_heads']

    def forward(self, x, mask_bias):
        b, s, h = x.shape
        dh = h // self.nh
        sa = self.attention.self

        def split(t):
            return t.view(b, s, self.nh, dh).permute(0, 2, 1, 3)

        q, k, v = split(sa.query(x)), split(sa.key(x)), split(sa.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(dh) + mask_bias
        ctx = (scores.softmax(-1) @ v).permute(0, 2, 1, 3).reshape(b, s, h)
        ao = self.attention.output
        x = ao.LayerNorm(ao.dense(ctx) + x)
        inter = F.gelu(self.intermediate.dense(x))  # exact erf GELU (torch default)
        return self.output.LayerNorm(self.output.dense(inter) + x)


class Embeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c['hidden_size']
        self.word_embeddings = nn.Embedding(c['vocab_size'], h)
        self.position_embeddings = nn.Embedding(c['max_position_embeddings'], h)
        self.token_type_embeddings = nn.Embedding(c['type_vocab_size'], h)
        self.LayerNorm = nn.LayerNorm(h, eps=c['layer_norm_eps'])


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([Layer(c) for _ in range(c['num_hidden_layers'])])


class TinyBert(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = Embeddings(c)
        self.encoder = Encoder(c)

    def forward(self, ids, mask, types):
        s = ids.shape[1]
        e = self.embeddings
        pos = torch.arange(s).unsqueeze(0)
        x = e.LayerNorm(e.word_embeddings(ids) + e.position_embeddings(pos) + e.token_type_embeddings(types))
        # masked keys get the most negative float (as current HF BertModel does)
        bias = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for layer in self.encoder.layer:
            x = layer(x, bias)
        return x


# ---------------------------------------------------------------- tokenisation (same rules as tokenizer.ts)
def char_id(vocab, ch):
    ids = {t: i for i, t in enumerate(vocab)}
    if ch in ids:
        return ids[ch]

    def strip(s):
        return ''.join(c for c in unicodedata.normalize('NFD', s) if unicodedata.category(c) != 'Mn')

    nfkc = unicodedata.normalize('NFKC', ch)
    for cand in (ch.lower(), nfkc, nfkc.lower(), strip(ch.lower()), strip(nfkc.lower())):
        if len(cand) == 1 and cand in ids:
            return ids[cand]
    return ids['[UNK]']


def encode(vocab, title):
    ids, offsets = [vocab.index('[CLS]')], [-1]
    for i, ch in enumerate(title):
        if ch.isspace() or unicodedata.category(ch) in ('Cc', 'Cf'):
            continue
        ids.append(char_id(vocab, ch))
        offsets.append(i)
    ids.append(vocab.index('[SEP]'))
    offsets.append(-1)
    return ids, offsets


# ---------------------------------------------------------------- safetensors writer
def write_safetensors(path, tensors, metadata=None):
    header, chunks, off = {}, [], 0
    if metadata:
        header['__metadata__'] = metadata
    for name, t in tensors.items():
        data = t.detach().contiguous().to(torch.float32).numpy().astype('<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [off, off + len(data)]}
        off += len(data)
        chunks.append(data)
    h = json.dumps(header, separators=(',', ':')).encode('utf-8')
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for c in chunks:
            f.write(c)


# ---------------------------------------------------------------- TF tensor bundle writer
def _crc32c_table():
    tab = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        tab.append(c)
    return tab


CRC_TAB = _crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = CRC_TAB[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def mask_crc(c):
    return ((((c >> 15) | (c << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def pb_varint(field, n):
    return varint(field << 3) + varint(n) if n else b''


def pb_bytes(field, b):
    return varint((field << 3) | 2) + varint(len(b)) + b


def pb_fixed32(field, n):
    return varint((field << 3) | 5) + struct.pack('<I', n)


def build_block(entries, restart_interval):
    out, restarts, prev = bytearray(), [], b''
    for i, (k, v) in enumerate(entries):
        if i % restart_interval == 0:
            restarts.append(len(out))
            shared = 0
        else:
            shared = 0
            while shared < min(len(k), len(prev)) and k[shared] == prev[shared]:
                shared += 1
        out += varint(shared) + varint(len(k) - shared) + varint(len(v)) + k[shared:] + v
        prev = k
    if not restarts:
        restarts = [0]
    for r in restarts:
        out += struct.pack('<I', r)
    out += struct.pack('<I', len(restarts))
    return bytes(out)


def snappy_compress(data):
    """A small raw-snappy encoder (greedy 4-byte hash matches; literals, 1- and 2-byte-offset copies)."""
    out = bytearray(varint(len(data)))

    def literal(chunk):
        n = len(chunk)
        if n == 0:
            return
        if n <= 60:
            out.append((n - 1) << 2)
        elif n - 1 < 256:
            out.extend(bytes([60 << 2, n - 1]))
        else:
            out.extend(bytes([61 << 2]) + struct.pack('<H', n - 1))
        out.extend(chunk)

    table, i, lit = {}, 0, 0
    while i + 4 <= len(data):
        j = table.get(data[i:i + 4])
        table[data[i:i + 4]] = i
        if j is None or i - j >= 65536:
            i += 1
            continue
        n = 4
        while i + n < len(data) and data[j + n] == data[i + n] and n < 64:
            n += 1
        literal(data[lit:i])
        off = i - j
        if n <= 11 and off < 2048:
            out.extend(bytes([((off >> 8) << 5) | ((n - 4) << 2) | 1, off & 0xFF]))
        else:
            out.extend(bytes([((n - 1) << 2) | 2]) + struct.pack('<H', off))
        i += n
        lit = i
    literal(data[lit:])
    return bytes(out)


def write_table(path, entries, block_size=512, restart_interval=4, snappy=False):
    """LevelDB/TF table: data blocks, metaindex block, index block, 48-byte footer.
    TF writes bundles uncompressed; snappy=True compresses every block (to test that reader path)."""
    f = bytearray()

    def emit(block):
        off = len(f)
        trailer_type = b'\x00'
        if snappy:
            block = snappy_compress(block)
            trailer_type = b'\x01'
        f.extend(block)
        f.extend(trailer_type + struct.pack('<I', mask_crc(crc32c(block + trailer_type))))
        return off, len(block)

    index, cur, cur_size = [], [], 0
    for k, v in entries:
        cur.append((k, v))
        cur_size += len(k) + len(v) + 8
        if cur_size >= block_size:
            off, size = emit(build_block(cur, restart_interval))
            index.append((cur[-1][0], varint(off) + varint(size)))
            cur, cur_size = [], 0
    if cur:
        off, size = emit(build_block(cur, restart_interval))
        index.append((cur[-1][0], varint(off) + varint(size)))
    meta_off, meta_size = emit(build_block([], restart_interval))
    idx_off, idx_size = emit(build_block(index, 1))
    footer = varint(meta_off) + varint(meta_size) + varint(idx_off) + varint(idx_size)
    footer += b'\x00' * (40 - len(footer))
    footer += struct.pack('<Q', 0xDB4775248B80FB57)
    f.extend(footer)
    with open(path, 'wb') as fh:
        fh.write(bytes(f))


DT_FLOAT, DT_INT64 = 1, 9


def write_bundle(prefix, tensors, snappy_index=None):
    """tensors: {name: (dtype, shape, raw little-endian bytes)}."""
    data, entries = bytearray(), []
    for name in sorted(tensors, key=lambda n: n.encode()):
        dtype, shape, raw = tensors[name]
        shape_pb = b''.join(pb_bytes(2, pb_varint(1, d)) for d in shape)
        entry = (pb_varint(1, dtype) + pb_bytes(2, shape_pb) + pb_varint(4, len(data))
                 + pb_varint(5, len(raw)) + pb_fixed32(6, mask_crc(crc32c(raw))))
        entries.append((name.encode(), entry))
        data += raw
    header = pb_varint(1, 1) + pb_bytes(3, pb_varint(1, 1))  # num_shards=1, LITTLE, version{producer:1}
    write_table(prefix + '.index', [(b'', header)] + entries)
    if snappy_index:
        write_table(snappy_index, [(b'', header)] + entries, snappy=True)
    with open(prefix + '.data-00000-of-00001', 'wb') as fh:
        fh.write(bytes(data))


def google_name(hf):
    n = 'bert/' + hf.replace('encoder.layer.', 'encoder/layer_').replace('.', '/')
    n = n.replace('LayerNorm/weight', 'LayerNorm/gamma').replace('LayerNorm/bias', 'LayerNorm/beta')
    n = n.replace('_embeddings/weight', '_embeddings')
    if n.endswith('/weight'):
        n = n[: -len('/weight')] + '/kernel'
    return n


# ---------------------------------------------------------------- main
def main():
    torch.manual_seed(20240611)
    c = dict(CONFIG, vocab_size=len(VOCAB))
    model = TinyBert(c).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if 'LayerNorm.weight' in name:
                p.copy_(1 + 0.1 * torch.randn_like(p))
            elif name.endswith('bias'):
                p.copy_(0.1 * torch.randn_like(p))
            elif 'embeddings' in name:
                p.copy_(torch.randn_like(p))
            else:
                p.copy_(0.25 * torch.randn_like(p))
    os.makedirs(os.path.join(OUT, 'google'), exist_ok=True)
    state = {k: v for k, v in model.state_dict().items()}
    with open(os.path.join(OUT, 'config.json'), 'w') as f:
        json.dump(c, f, indent=2)
    vocab_text = ''.join(t + '\n' for t in VOCAB)
    for p in ('vocab.txt', 'google/vocab.txt'):
        with open(os.path.join(OUT, p), 'w', encoding='utf-8') as f:
            f.write(vocab_text)
    write_safetensors(os.path.join(OUT, 'model.safetensors'), state, {'format': 'pt'})

    gc = {k: v for k, v in c.items() if k not in ('architectures', 'model_type', 'layer_norm_eps', 'pad_token_id', 'position_embedding_type')}
    with open(os.path.join(OUT, 'google', 'bert_config.json'), 'w') as f:
        json.dump(gc, f, indent=2)
    bundle = {}
    for k, v in state.items():
        t = v.t() if k.endswith('.weight') and v.dim() == 2 and 'embeddings' not in k else v  # TF kernels are [in, out]
        bundle[google_name(k)] = (DT_FLOAT, list(t.shape), t.contiguous().numpy().astype('<f4').tobytes())
    # what real Google checkpoints also hold: optimiser slots, global_step, pre-training heads
    wb = bundle['bert/embeddings/LayerNorm/gamma']
    bundle['bert/embeddings/LayerNorm/gamma/adam_m'] = (DT_FLOAT, wb[1], bytes(len(wb[2])))
    bundle['global_step'] = (DT_INT64, [], struct.pack('<q', 1000))
    bundle['cls/predictions/output_bias'] = (DT_FLOAT, [len(VOCAB)], bytes(4 * len(VOCAB)))
    write_bundle(os.path.join(OUT, 'google', 'bert_model.ckpt'), bundle,
                 snappy_index=os.path.join(OUT, 'snappy-bert_model.ckpt.index'))

    cases = []
    enc = [encode(VOCAB, t) for t in TITLES]
    s = max(len(ids) for ids, _ in enc)
    ids = [i + [0] * (s - len(i)) for i, _ in enc]
    mask = [[1] * len(i) + [0] * (s - len(i)) for i, _ in enc]
    types = [[0] * s for _ in enc]
    cases.append({'name': 'padded batch', 'ids': ids, 'mask': mask, 'tokenTypes': types})
    one = enc[0][0]
    cases.append({'name': 'token types', 'ids': [one], 'mask': [[1] * len(one)],
                  'tokenTypes': [[0] * (len(one) // 2) + [1] * (len(one) - len(one) // 2)]})
    with torch.no_grad():
        for case in cases:
            h = model(torch.tensor(case['ids']), torch.tensor(case['mask']), torch.tensor(case['tokenTypes']))
            case['shape'] = list(h.shape)
            case['hidden'] = [float('%.8g' % x) for x in h.flatten().tolist()]
    # backward reference: gradients of loss = sum(hidden * R) for a fixed random R (padded batch)
    grad_names = ['embeddings.word_embeddings.weight', 'embeddings.position_embeddings.weight',
                  'embeddings.LayerNorm.weight', 'encoder.layer.0.attention.self.query.weight',
                  'encoder.layer.0.attention.self.key.bias', 'encoder.layer.1.intermediate.dense.weight',
                  'encoder.layer.1.output.LayerNorm.bias']
    case = cases[0]
    gen = torch.Generator().manual_seed(7)
    r = torch.randn(case['shape'], generator=gen)
    model.zero_grad()
    h = model(torch.tensor(case['ids']), torch.tensor(case['mask']), torch.tensor(case['tokenTypes']))
    (h * r).sum().backward()
    params = dict(model.named_parameters())
    gradients = {
        'case': 0,
        'R': [float('%.8g' % x) for x in r.flatten().tolist()],
        'grads': {n: {'shape': list(params[n].grad.shape),
                      'data': [float('%.8g' % x) for x in params[n].grad.flatten().tolist()]}
                  for n in grad_names},
    }
    expected = {
        'note': 'generated by scripts/make-bert-fixture.py (independent torch reference, HF tensor names)',
        'torch': torch.__version__,
        'titles': TITLES,
        'encoded': [{'ids': i, 'offsets': o} for i, o in enc],
        'cases': cases,
        'gradients': gradients,
    }
    with open(os.path.join(OUT, 'expected.json'), 'w', encoding='utf-8') as f:
        json.dump(expected, f, ensure_ascii=False)
    print('wrote', OUT)


if __name__ == '__main__':
    main()
