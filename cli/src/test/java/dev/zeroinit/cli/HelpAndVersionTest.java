package dev.zeroinit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@code --version} and {@code --help}. */
class HelpAndVersionTest {
  @Test
  void versionPrintsToolNameAndBuildVersion() {
    Cli.Run r = Cli.run("--version").assertOk();
    assertEquals("zero-init " + Version.get(), r.out().strip());
    assertTrue(Version.get().matches("\\d+\\.\\d+\\.\\d+.*"), "filtered from the pom: " + Version.get());
    assertEquals("", r.err());
    assertEquals(r.out(), Cli.run("-V").assertOk().out());
  }

  @Test
  void helpExitsZeroAndListsEveryExitCode() {
    Cli.Run r = Cli.run("--help").assertOk();
    String help = r.out();
    assertTrue(help.startsWith("Usage: zero-init"), help);
    assertTrue(help.contains("Exit codes:"), help);
    for (String code : new String[] {"0", "1", "2", "3", "4"}) {
      assertTrue(help.lines().anyMatch(l -> l.matches("\\s+" + code + "\\s+\\S.*")), "exit code " + code
          + " listed in:\n" + help);
    }
    for (String option : new String[] {"--dry-run", "--report", "--hadamard-scale", "--ops", "--include",
        "--exclude", "--norm", "--external-data", "--force", "--in-place", "--no-sync", "--quiet"}) {
      assertTrue(help.contains(option), option + " missing from --help");
    }
    assertEquals("", r.err());
  }

  @Test
  void subcommandHelpExitsZero() {
    assertTrue(Cli.run("models", "build", "--help").assertOk().out().contains("--hidden"));
    assertFalse(Cli.run("models", "list", "--help").assertOk().out().isEmpty());
  }
}
