// A progress bar on stderr, drawn only when stderr is a terminal (logs and pipes stay clean).
export class ProgressBar {
  private readonly tty = process.stderr.isTTY === true
  private last = 0
  constructor(private readonly label: string) {}

  update(done: number, total: number, detail = ''): void {
    if (!this.tty) return
    const now = Date.now()
    if (now - this.last < 100 && done < total) return
    this.last = now
    const width = 30
    const frac = total > 0 ? Math.min(1, done / total) : 0
    const filled = Math.round(frac * width)
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled)
    process.stderr.write(`\r${this.label} ${bar} ${(frac * 100).toFixed(0).padStart(3)}% ${detail}\x1b[K`)
  }

  end(): void {
    if (this.tty) process.stderr.write('\n')
  }
}
