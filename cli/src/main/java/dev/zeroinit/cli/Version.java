package dev.zeroinit.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine;

/** The tool's version, taken from the build. */
public final class Version implements CommandLine.IVersionProvider {
  private static final String VERSION = load();

  /** e.g. {@code 0.1.0}. */
  public static String get() {
    return VERSION;
  }

  @Override
  public String[] getVersion() {
    return new String[] {"zero-init " + VERSION};
  }

  private static String load() {
    try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
      Properties p = new Properties();
      if (in != null) {
        p.load(in);
      }
      return p.getProperty("version", "unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }
}
