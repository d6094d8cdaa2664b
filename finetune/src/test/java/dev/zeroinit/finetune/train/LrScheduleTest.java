package dev.zeroinit.finetune.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The learning-rate schedules: linear warm-up, then cosine, step or constant; exact values. */
class LrScheduleTest {

  @Test
  void warmupRisesLinearlyToTheBaseRateOnItsLastStep() {
    LrSchedule s = new LrSchedule(LrSchedule.Kind.CONSTANT, 1.0, 4, 12, 1, 1);
    assertEquals(0.25, s.at(0), 0.0);
    assertEquals(0.5, s.at(1), 0.0);
    assertEquals(0.75, s.at(2), 0.0);
    assertEquals(1.0, s.at(3), 0.0);
    assertEquals(1.0, s.at(4), 0.0);
    assertEquals(1.0, s.at(11), 0.0);
    LrSchedule p = new LrSchedule(LrSchedule.Kind.CONSTANT, 0.1, 5, 10, 1, 1);
    assertEquals(0.1 * 1 / 5, p.at(0), 0.0);
    assertEquals(0.1 * 3 / 5, p.at(2), 0.0);
    assertEquals(0.1, p.at(4), 0.0);
  }

  @Test
  void cosineFallsFromTheBaseRateAfterTheWarmup() {
    LrSchedule s = new LrSchedule(LrSchedule.Kind.COSINE, 1.0, 4, 12, 1, 1);
    assertEquals(1.0, s.at(3), 0.0);
    assertEquals(1.0, s.at(4), 0.0);
    assertEquals((1 + Math.cos(Math.PI / 4)) / 2, s.at(6), 0.0);
    assertEquals(0.8535533905932737, s.at(6), 0.0);
    assertEquals(0.5, s.at(8), 0.0);
    assertEquals((1 + Math.cos(Math.PI * 7 / 8)) / 2, s.at(11), 0.0);
    assertEquals(0.0, s.at(12), 0.0);
    assertEquals(0.0, s.at(100), 0.0, "past the end it stays at 0");
    LrSchedule noWarmup = new LrSchedule(LrSchedule.Kind.COSINE, 0.1, 0, 10, 1, 1);
    assertEquals(0.1, noWarmup.at(0), 0.0);
    assertEquals(0.1 * (1 + Math.cos(Math.PI * 3 / 10)) / 2, noWarmup.at(3), 0.0);
    LrSchedule allWarmup = new LrSchedule(LrSchedule.Kind.COSINE, 0.1, 10, 10, 1, 1);
    assertEquals(0.1, allWarmup.at(9), 0.0);
    assertEquals(0.1, allWarmup.at(10), 0.0);
  }

  @Test
  void stepMultipliesByGammaEveryIntervalAfterTheWarmup() {
    LrSchedule s = new LrSchedule(LrSchedule.Kind.STEP, 1.0, 2, 20, 3, 0.1);
    assertEquals(0.5, s.at(0), 0.0);
    assertEquals(1.0, s.at(1), 0.0);
    assertEquals(1.0, s.at(2), 0.0);
    assertEquals(1.0, s.at(4), 0.0);
    assertEquals(0.1, s.at(5), 0.0);
    assertEquals(0.1, s.at(7), 0.0);
    assertEquals(Math.pow(0.1, 2), s.at(8), 0.0);
    assertEquals(0.010000000000000002, s.at(10), 0.0);
    assertEquals(Math.pow(0.1, 3), s.at(11), 0.0);
  }

  @Test
  void epochsBecomeStepsRoundedToWholeSteps() {
    LrSchedule s = LrSchedule.of(LrSchedule.Kind.STEP, 0.1, 0.5, 6, 10, 2, 0.5);
    assertEquals(5, s.warmupSteps());
    assertEquals(60, s.totalSteps());
    assertEquals(20, s.decaySteps());
    assertEquals(0.02, s.at(0), 0.0);
    assertEquals(0.1, s.at(24), 0.0);
    assertEquals(0.05, s.at(25), 0.0);
    LrSchedule c = LrSchedule.of(LrSchedule.Kind.COSINE, 0.1, 1.0 / 3, 2, 10, 30, 0.1);
    assertEquals(3, c.warmupSteps());
    assertEquals(20, c.totalSteps());
    assertTrue(c.describe().contains("linear warm-up 3 steps, then cosine"), c.describe());
  }

  @Test
  void kindsParseAndBadValuesAreRefused() {
    assertEquals(LrSchedule.Kind.COSINE, LrSchedule.Kind.parse("Cosine"));
    assertEquals(LrSchedule.Kind.STEP, LrSchedule.Kind.parse(" step"));
    assertEquals(LrSchedule.Kind.CONSTANT, LrSchedule.Kind.parse("constant"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> LrSchedule.Kind.parse("linear"));
    assertTrue(e.getMessage().contains("cosine, step or constant"));
    assertThrows(IllegalArgumentException.class,
        () -> new LrSchedule(LrSchedule.Kind.CONSTANT, 0, 0, 10, 1, 1));
    assertThrows(IllegalArgumentException.class,
        () -> new LrSchedule(LrSchedule.Kind.STEP, 0.1, 0, 10, 0, 0.1));
    assertThrows(IllegalArgumentException.class,
        () -> new LrSchedule(LrSchedule.Kind.STEP, 0.1, 0, 10, 1, 0));
    assertThrows(IllegalArgumentException.class,
        () -> LrSchedule.of(LrSchedule.Kind.COSINE, 0.1, -1, 10, 1, 1, 1));
    assertThrows(IllegalArgumentException.class,
        () -> new LrSchedule(LrSchedule.Kind.CONSTANT, 0.1, 0, 10, 1, 1).at(-1));
  }
}
