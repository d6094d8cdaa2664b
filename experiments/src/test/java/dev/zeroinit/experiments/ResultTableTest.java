package dev.zeroinit.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ResultTableTest {
  @Test
  void csvQuotesCellsWithCommasAndQuotes() {
    ResultTable t = new ResultTable("run", "value").add("zero, run 1", 1.5).add("say \"hi\"", 2);
    assertEquals("run,value\n\"zero, run 1\",1.5\n\"say \"\"hi\"\"\",2\n", t.csv());
  }

  @Test
  void markdownRightAlignsNumericColumns() {
    ResultTable t = new ResultTable("method", "accuracy").add("zero", "91.20 ± 0.00")
        .add("kaiming|normal", "90.85 ± 0.31");
    assertEquals("| method | accuracy |\n| --- | ---: |\n| zero | 91.20 ± 0.00 |\n"
        + "| kaiming\\|normal | 90.85 ± 0.31 |\n", t.markdown());
  }

  @Test
  void refusesARowOfTheWrongLength() {
    assertThrows(IllegalArgumentException.class, () -> new ResultTable("a", "b").add(1));
  }

  @Test
  void statsUseTheSampleStandardDeviation() {
    Stats s = Stats.of(java.util.List.of(1.0, 2.0, 3.0, 4.0));
    assertEquals(2.5, s.mean(), 1e-15);
    assertEquals(Math.sqrt(5.0 / 3), s.std(), 1e-15);
    assertEquals("2.50 ± 1.29", s.format(2));
    assertEquals(0, Stats.of(java.util.List.of(7.0)).std());
  }

  @Test
  void numbersReadAsShortAsTheyAre() {
    assertEquals("1", SummaryText.number(1.0));
    assertEquals("0.125", SummaryText.number(0.125));
    assertEquals("0.0001", SummaryText.number(1e-4));
    assertEquals("2048", SummaryText.number(2048));
  }
}
