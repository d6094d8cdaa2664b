package dev.zeroinit.init.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Models start when they fit; one larger than the budget runs alone and blocks the rest meanwhile. */
@Timeout(20)
class MemoryBudgetTest {

  private static Thread acquireLater(MemoryBudget b, long bytes, CountDownLatch got) {
    Thread t = new Thread(() -> {
      try {
        b.acquire(bytes);
        got.countDown();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    t.setDaemon(true);
    t.start();
    return t;
  }

  @Test
  void smallModelsShareTheBudget() throws Exception {
    MemoryBudget b = new MemoryBudget(100);
    b.acquire(30);
    b.acquire(30);
    b.acquire(40);
    assertEquals(100, b.used());
    assertEquals(3, b.running());
    CountDownLatch got = new CountDownLatch(1);
    acquireLater(b, 10, got);
    assertFalse(got.await(200, TimeUnit.MILLISECONDS), "10 more do not fit in 100");
    b.release(30);
    assertTrue(got.await(5, TimeUnit.SECONDS));
    assertEquals(80, b.used());
  }

  @Test
  void aModelLargerThanTheBudgetRunsAlone() throws Exception {
    MemoryBudget b = new MemoryBudget(100);
    b.acquire(20);
    CountDownLatch big = new CountDownLatch(1);
    acquireLater(b, 500, big);
    assertFalse(big.await(200, TimeUnit.MILLISECONDS), "waits for the running model");
    b.release(20);
    assertTrue(big.await(5, TimeUnit.SECONDS), "starts once nothing runs");
    CountDownLatch small = new CountDownLatch(1);
    acquireLater(b, 1, small);
    assertFalse(small.await(200, TimeUnit.MILLISECONDS), "nothing starts beside it");
    b.release(500);
    assertTrue(small.await(5, TimeUnit.SECONDS));
    assertEquals(500, b.peak());
  }
}
