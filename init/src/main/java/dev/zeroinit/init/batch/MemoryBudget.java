package dev.zeroinit.init.batch;

/**
 * The memory a batch may spend at once, in bytes. A model starts when its estimated footprint fits
 * in what the running ones leave; one larger than the whole budget starts when nothing else runs,
 * and nothing else starts while it runs. Fair in the sense the scheduler needs: it acquires in
 * the models' order from one thread, so a large model waiting blocks the smaller ones behind it
 * instead of being overtaken for ever.
 */
final class MemoryBudget {
  private final long total;
  private long used;
  private int running;
  private long peak;

  MemoryBudget(long total) {
    if (total <= 0) {
      throw new IllegalArgumentException("memory budget must be positive: " + total);
    }
    this.total = total;
  }

  /** Waits until {@code bytes} fit (or nothing runs), then takes them. */
  synchronized void acquire(long bytes) throws InterruptedException {
    while (running > 0 && used + bytes > total) {
      wait();
    }
    used += bytes;
    running++;
    peak = Math.max(peak, used);
  }

  /** Gives back what one {@link #acquire} took. */
  synchronized void release(long bytes) {
    used -= bytes;
    running--;
    notifyAll();
  }

  synchronized long used() {
    return used;
  }

  synchronized int running() {
    return running;
  }

  /** The most ever taken at once (a single model above the budget counts in full). */
  synchronized long peak() {
    return peak;
  }

  long total() {
    return total;
  }
}
