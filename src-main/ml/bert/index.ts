/** BERT for NER Studio: config, weight readers, folder import, char tokenizer, tfjs encoder. */
export * from './config'
export * from './safetensors'
export * from './tf-checkpoint'
export * from './tokenizer'
export * from './encoder'
export * from './import'
export * from './batch'
