package dev.zeroinit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zeroinit.init.Planner;
import dev.zeroinit.models.ModelCatalog;
import dev.zeroinit.onnxio.OnnxModel;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The launcher script {@code ./zero-init}, run for real (bash, java) in a throw-away copy of the
 * checkout: the script, pom.xml files and a src folder, a runnable jar made from this test's own
 * classpath, and a stand-in for Maven ({@code MVN}) that "builds" by copying that jar into place and
 * logs each call.
 */
class LauncherScriptTest {
  private static final Instant LONG_AGO = Instant.now().minusSeconds(3600);

  @TempDir
  static Path shared;
  private static Path builtJar;
  private static Path fakeMaven;

  @TempDir
  Path root;
  @TempDir
  Path caller;

  private Path jar;
  private Path mavenLog;

  @BeforeAll
  static void makeJarAndMaven() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(Path.of("/bin/bash")) || Files.isExecutable(Path.of("/usr/bin/bash")),
        "the launcher needs bash");
    builtJar = runnableJar(shared.resolve("built.jar"));
    fakeMaven = shared.resolve("mvn");
    Files.writeString(fakeMaven, String.join("\n",
        "#!/usr/bin/env bash",
        "# stand-in for Maven: logs the call, prints like a build, 'builds' the jar (or fails on request)",
        "echo \"$PWD|$*\" >> \"$FAKE_MAVEN_LOG\"",
        "echo '[INFO] fake maven building'",
        "if [ -n \"${FAKE_MAVEN_FAIL:-}\" ]; then echo '[ERROR] compilation failed'; exit 1; fi",
        "mkdir -p cli/target && cp \"$FAKE_MAVEN_JAR\" cli/target/zero-init.jar",
        ""));
    executable(fakeMaven);
  }

  @BeforeEach
  void makeCheckout() throws Exception {
    Path script = Files.copy(TestFiles.repoRoot().resolve("zero-init"), root.resolve("zero-init"));
    executable(script);
    for (String f : new String[] {"pom.xml", "cli/pom.xml", "cli/src/main/java/A.java", "init/pom.xml",
        "init/src/main/java/B.java"}) {
      Path p = root.resolve(f);
      Files.createDirectories(p.getParent());
      Files.writeString(p, "x");
    }
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : all.toList()) {
        Files.setLastModifiedTime(p, FileTime.from(LONG_AGO));
      }
    }
    jar = root.resolve("cli/target/zero-init.jar");
    Files.createDirectories(jar.getParent());
    Files.copy(builtJar, jar);
    Files.setLastModifiedTime(jar, FileTime.from(LONG_AGO.plusSeconds(60)));
    mavenLog = root.resolve("maven.log");
  }

  @Test
  void versionWorksFromAnyDirectory() throws Exception {
    Result r = launch(Map.of(), "--version");
    assertEquals(0, r.exit, r::toString);
    assertEquals("zero-init " + Version.get() + "\n", r.out, r::toString);
    assertEquals("", r.err, r::toString);
    assertEquals(0, mavenCalls().size(), "a fresh jar is not rebuilt");
  }

  @Test
  void pathsAreRelativeToTheCallersDirectoryAndTheScriptMayBeASymlink() throws Exception {
    Files.copy(TestFiles.sample(), caller.resolve("m.onnx"));
    Path bin = Files.createDirectories(caller.resolve("bin"));
    Files.createSymbolicLink(bin.resolve("zi"), root.resolve("zero-init"));

    // as a user types it: a relative path to a link to the script, relative paths for the files
    Result r = run(List.of("bash", "-c", "bin/zi m.onnx -o out.onnx -q"), Map.of("ZERO_INIT_CDS", "0"));

    assertEquals(0, r.exit, r::toString);
    assertTrue(Files.isRegularFile(caller.resolve("out.onnx")), r::toString);
    assertFalse(Files.exists(root.resolve("out.onnx")));
    TestFiles.load(caller.resolve("out.onnx"));
  }

  @Test
  void exitCodeAndStreamsOfTheToolPassThrough() throws Exception {
    Result r = launch(Map.of("ZERO_INIT_CDS", "0"), "no-such.onnx", "-o", "x.onnx");
    assertEquals(ExitCodes.INVALID_MODEL, r.exit, r::toString);
    assertEquals("", r.out);
    assertTrue(r.err.startsWith("zero-init: no-such.onnx"), r::toString);
  }

  @Test
  void buildsTheJarWhenMissingWithBuildOutputOnStderr() throws Exception {
    Files.delete(jar);
    Result r = launch(Map.of("ZERO_INIT_CDS", "0"), "--version");
    assertEquals(0, r.exit, r::toString);
    assertEquals("zero-init " + Version.get() + "\n", r.out, "build output stays off stdout");
    assertTrue(r.err.contains("[INFO] fake maven building"), r::toString);
    List<String> calls = mavenCalls();
    assertEquals(1, calls.size(), calls::toString);
    assertTrue(calls.get(0).startsWith(root.toRealPath() + "|"), "Maven runs in the checkout: " + calls);
    assertTrue(calls.get(0).matches(".*-DskipTests.* package -pl cli -am$"), calls::toString);
    assertTrue(Files.isRegularFile(jar));
  }

  @Test
  void rebuildsOnceWhenASourceFileOrAPomIsNewerThanTheJar() throws Exception {
    Files.setLastModifiedTime(root.resolve("init/src/main/java/B.java"), FileTime.from(Instant.now().minusSeconds(5)));
    assertEquals(0, launch(Map.of("ZERO_INIT_CDS", "0"), "--version").exit);
    assertEquals(0, launch(Map.of("ZERO_INIT_CDS", "0"), "--version").exit);
    assertEquals(1, mavenCalls().size(), "built once, then fresh");

    Files.setLastModifiedTime(jar, FileTime.from(LONG_AGO.plusSeconds(60)));
    Files.setLastModifiedTime(root.resolve("cli/pom.xml"), FileTime.from(Instant.now().minusSeconds(5)));
    assertEquals(0, launch(Map.of("ZERO_INIT_CDS", "0"), "--version").exit);
    assertEquals(2, mavenCalls().size(), "a newer module pom.xml rebuilds");

    Files.setLastModifiedTime(jar, FileTime.from(LONG_AGO.plusSeconds(60)));
    Files.delete(root.resolve("cli/src/main/java/A.java"));
    assertEquals(0, launch(Map.of("ZERO_INIT_CDS", "0"), "--version").exit);
    assertEquals(3, mavenCalls().size(), "a deleted source file rebuilds");
  }

  @Test
  void failsClearlyWhenMavenIsMissing() throws Exception {
    Files.delete(jar);
    Result r = launch(Map.of("MVN", "no-such-maven-command"), "--version");
    assertEquals(1, r.exit, r::toString);
    assertEquals("", r.out);
    assertEquals(1, r.err.lines().count(), r::toString);
    assertTrue(r.err.startsWith("zero-init: ") && r.err.contains("Maven") && r.err.contains("not on PATH"),
        r::toString);
  }

  @Test
  void failsClearlyWhenTheBuildFails() throws Exception {
    Files.delete(jar);
    Result r = launch(Map.of("FAKE_MAVEN_FAIL", "1"), "--version");
    assertEquals(1, r.exit, r::toString);
    assertEquals("", r.out);
    assertTrue(r.err.contains("[ERROR] compilation failed"), r::toString);
    assertTrue(r.err.lines().anyMatch(l -> l.startsWith("zero-init: the Maven build failed")), r::toString);
    assertFalse(Files.exists(jar));
  }

  @Test
  void javaOptsArePassedAndWinOverTheDefaults() throws Exception {
    Result r = launch(Map.of("ZERO_INIT_CDS", "0",
        "JAVA_OPTS", "-XX:+PrintCommandLineFlags -Xmx96m -XX:TieredStopAtLevel=3"), "--version");
    assertEquals(0, r.exit, r::toString);
    String flags = r.out.lines().findFirst().orElse("");
    assertTrue(flags.contains("-XX:MaxHeapSize=100663296"), "the user's -Xmx: " + flags);
    assertTrue(flags.contains("-XX:TieredStopAtLevel=3"), "the user's value wins over the default: " + flags);
    assertTrue(r.out.endsWith("zero-init " + Version.get() + "\n"), r::toString);

    Result defaults = launch(Map.of("ZERO_INIT_CDS", "0", "JAVA_OPTS", "-XX:+PrintCommandLineFlags"), "--version");
    assertTrue(defaults.out.contains("-XX:TieredStopAtLevel=1"), defaults::toString);
  }

  @Test
  void makesAnAppCdsArchiveOnceAndUsesItQuietly() throws Exception {
    Path jsa = root.resolve("cli/target/zero-init.jsa");
    Result first = launch(Map.of(), "--version");
    assertEquals("zero-init " + Version.get() + "\n", first.out, "no CDS chatter on stdout");
    assertEquals("", first.err);
    assertTrue(Files.isRegularFile(jsa), "archive made after the first run");
    try (Stream<Path> s = Files.list(jsa.getParent())) {
      assertTrue(s.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temp archive left");
    }
    FileTime made = Files.getLastModifiedTime(jsa);

    Result second = launch(Map.of("JAVA_OPTS", "-Xlog:class+load=info"), "--version");
    assertEquals(0, second.exit, second::toString);
    assertTrue(second.out.contains("dev.zeroinit.cli.ZeroInitCommand source: shared objects file (top)"),
        "the tool's classes come from the archive:\n" + second.out);
    assertEquals(made, Files.getLastModifiedTime(jsa), "made once");

    // an archive older than the jar (the jar was rebuilt outside the launcher) is made again
    Files.setLastModifiedTime(jsa, FileTime.from(LONG_AGO));
    assertEquals(0, launch(Map.of(), "--version").exit);
    assertTrue(Files.getLastModifiedTime(jsa).compareTo(Files.getLastModifiedTime(jar)) > 0, "made again");
  }

  @Test
  void aFailedArchiveIsNotRetriedOnEveryRun() throws Exception {
    Path jsa = root.resolve("cli/target/zero-init.jsa");
    Path failed = root.resolve("cli/target/zero-init.jsa.failed");
    Map<String, String> noTemp = Map.of("TMPDIR", caller.resolve("no-such-folder").toString());
    Result r = launch(noTemp, "--version");
    assertEquals("zero-init " + Version.get() + "\n", r.out, r::toString);
    assertFalse(Files.exists(jsa));
    assertTrue(Files.exists(failed), "the failure is remembered");
    Files.setLastModifiedTime(failed, FileTime.from(LONG_AGO.plusSeconds(120)));
    assertEquals(0, launch(noTemp, "--version").exit);
    assertEquals(FileTime.from(LONG_AGO.plusSeconds(120)), Files.getLastModifiedTime(failed), "not retried");

    Files.delete(jar);
    assertEquals(0, launch(Map.of(), "--version").exit, "a build clears the mark");
    assertTrue(Files.isRegularFile(jsa));
    assertFalse(Files.exists(failed));
  }

  // ---------------------------------------------------------------------------------------------

  private record Result(int exit, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exit + "\n--- stdout:\n" + out + "--- stderr:\n" + err;
    }
  }

  /** Runs the checkout's launcher by its absolute path from the caller's directory. */
  private Result launch(Map<String, String> env, String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(root.resolve("zero-init").toString());
    command.addAll(List.of(args));
    return run(command, env);
  }

  private Result run(List<String> command, Map<String, String> env) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command).directory(caller.toFile());
    Map<String, String> e = pb.environment();
    e.remove("JAVA_OPTS");
    e.remove("ZERO_INIT_CDS");
    e.remove("ZERO_INIT_MAVEN_ARGS");
    e.put("JAVA_HOME", System.getProperty("java.home"));
    e.put("MVN", fakeMaven.toString());
    e.put("FAKE_MAVEN_LOG", mavenLog == null ? "/dev/null" : mavenLog.toString());
    e.put("FAKE_MAVEN_JAR", builtJar.toString());
    e.putAll(env);
    Path out = Files.createTempFile(shared, "out", ".txt");
    Path err = Files.createTempFile(shared, "err", ".txt");
    Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("launcher did not finish in 60 s: " + command);
    }
    return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  private List<String> mavenCalls() throws IOException {
    return Files.exists(mavenLog) ? Files.readAllLines(mavenLog) : List.of();
  }

  /** The launcher's rule: a pom.xml or anything under * /src newer than the jar. */
  private static void executable(Path p) throws IOException {
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  /**
   * A runnable jar of the tool made from this JVM's classes: class folders are copied in (AppCDS
   * archives only classes from jars), library jars are named in the manifest's Class-Path.
   */
  private static Path runnableJar(Path target) throws Exception {
    Set<Path> sources = new LinkedHashSet<>();
    for (Class<?> c : new Class<?>[] {ZeroInitCommand.class, OnnxModel.class, Planner.class, ModelCatalog.class,
        dev.zeroinit.finetune.TrainingGraphBuilder.class, dev.zeroinit.verify.Device.class,
        dev.zeroinit.experiments.ExperimentListener.class,
        CommandLine.class, ObjectMapper.class, JsonFactory.class, JsonProperty.class,
        com.google.protobuf.Message.class}) {
      sources.add(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()));
    }
    Manifest mf = new Manifest();
    mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    mf.getMainAttributes().put(Attributes.Name.MAIN_CLASS, ZeroInitCommand.class.getName());
    List<String> classPath = new ArrayList<>();
    for (Path s : sources) {
      if (!Files.isDirectory(s)) {
        classPath.add(s.toUri().toString());
      }
    }
    mf.getMainAttributes().put(Attributes.Name.CLASS_PATH, String.join(" ", classPath));
    Set<String> written = new LinkedHashSet<>();
    try (OutputStream os = Files.newOutputStream(target); JarOutputStream jar = new JarOutputStream(os, mf)) {
      for (Path dir : sources) {
        if (!Files.isDirectory(dir)) {
          continue;
        }
        try (Stream<Path> files = Files.walk(dir)) {
          for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
            String name = dir.relativize(f).toString().replace('\\', '/');
            if (name.equals("META-INF/MANIFEST.MF") || !written.add(name)) {
              continue;
            }
            jar.putNextEntry(new JarEntry(name));
            jar.write(Files.readAllBytes(f));
            jar.closeEntry();
          }
        }
      }
    }
    return target;
  }
}
