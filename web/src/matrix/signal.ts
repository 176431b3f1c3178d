// A minimal emitter for app-level changes the SDK does not announce (push rules re-read,
// own profile reloaded). Fits useEmitterVersion's on/off shape.
export class Signal {
  private fns = new Set<() => void>();
  on(_event: string, fn: () => void): void {
    this.fns.add(fn);
  }
  off(_event: string, fn: () => void): void {
    this.fns.delete(fn);
  }
  emit(): void {
    this.fns.forEach((fn) => fn());
  }
}
export const CHANGED = "changed";
