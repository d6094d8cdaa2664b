package dev.zeroinit.verify;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The one ONNX Runtime environment of this JVM, the choice of execution provider, and session
 * creation. Loading ORT extracts its native libraries into a fresh {@code onnxruntime-java*} folder of
 * {@code java.io.tmpdir} and leaves the folder behind at exit; a shutdown hook removes that folder
 * (only ORT's own, found through its class, and only files directly in it).
 */
public final class OrtRuntime {
  /** The provider names ORT uses. */
  public static final String CPU = "CPUExecutionProvider";
  public static final String CUDA = "CUDAExecutionProvider";

  private static OrtEnvironment env;
  private static String cudaUnavailable;
  private static boolean cudaChecked;

  private OrtRuntime() { }

  /** The environment (created on first use, logging errors only). */
  public static synchronized OrtEnvironment environment() {
    if (env == null) {
      env = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, "zero-init");
      registerTempCleanup();
    }
    return env;
  }

  /**
   * Which provider ran and, when CUDA was wanted but not used, why.
   *
   * @param requested the {@code --device} asked for
   * @param name {@link #CPU} or {@link #CUDA}
   * @param fallbackReason why CUDA was not used (auto), or null
   */
  public record Provider(Device requested, String name, String fallbackReason) {
    /** e.g. {@code CPUExecutionProvider (auto: CUDA not used: no NVIDIA GPU found ...)}. */
    public String describe() {
      if (name.equals(CUDA)) {
        return CUDA + " (" + requested.optionName() + "; nodes without a CUDA kernel run on the CPU)";
      }
      return CPU + (fallbackReason == null ? " (" + requested.optionName() + ")"
          : " (" + requested.optionName() + ": CUDA not used: " + fallbackReason + ")");
    }
  }

  /** A session and the provider it runs on. */
  public record Session(OrtSession session, Provider provider) implements AutoCloseable {
    @Override
    public void close() throws OrtException {
      session.close();
    }
  }

  /** Opens the model for a session with the options given (the provider already added). */
  public interface ModelSource {
    OrtSession open(OrtEnvironment env, OrtSession.SessionOptions options) throws OrtException;
  }

  /**
   * Opens a session on the provider {@code device} asks for: CPU; CUDA or a
   * {@link DeviceUnavailableException}; or, for auto, CUDA when it can load and the CPU otherwise.
   */
  static Session open(ModelSource source, Device device, int threads)
      throws OrtException, DeviceUnavailableException {
    return open(source, device, threads, Map.of());
  }

  /**
   * As {@link #open(ModelSource, Device, int)}, with session configuration entries added to the
   * options of every session tried (for example {@code session.intra_op.allow_spinning}); for the
   * other modules that run models (fine-tuning) with the same device choice.
   */
  public static Session open(ModelSource source, Device device, int threads, Map<String, String> config)
      throws OrtException, DeviceUnavailableException {
    OrtEnvironment e = environment();
    String reason = null;
    if (device != Device.CPU) {
      reason = cudaReason(e);
      OrtSession.SessionOptions cuda = null;
      if (reason == null) {
        cuda = options(threads, config);
        try {
          cuda.addCUDA(0);
        } catch (OrtException ex) {
          reason = "ONNX Runtime could not load its CUDA provider: " + firstLine(ex.getMessage());
          remember(reason);
          cuda.close();
          cuda = null;
        }
      }
      if (cuda != null) {
        try (OrtSession.SessionOptions o = cuda) {
          return new Session(source.open(e, o), new Provider(device, CUDA, null));
        } catch (OrtException ex) {
          if (device == Device.CUDA) {
            throw ex; // the model's problem, not the device's: reported as such
          }
          reason = "a session on CUDA failed: " + firstLine(ex.getMessage());
        }
      }
      if (device == Device.CUDA) {
        throw new DeviceUnavailableException(reason);
      }
    }
    try (OrtSession.SessionOptions o = options(threads, config)) {
      return new Session(source.open(e, o), new Provider(device, CPU, reason));
    }
  }

  /**
   * Why the CUDA provider cannot be used on this machine, or null when it may be (the cheap probe;
   * loading it may still fail, and that failure is remembered too).
   */
  public static String cudaUnavailableReason() {
    return cudaReason(environment());
  }

  /**
   * Why CUDA cannot be used here, or null when it may; the cheap probe first, remembered per JVM
   * together with any failure of ORT to load the provider.
   */
  static synchronized String cudaReason(OrtEnvironment e) {
    if (!cudaChecked) {
      cudaUnavailable = CudaProbe.reasonUnavailable(e);
      cudaChecked = true;
    }
    return cudaUnavailable;
  }

  private static synchronized void remember(String reason) {
    cudaUnavailable = reason;
    cudaChecked = true;
  }

  static OrtSession.SessionOptions options(int threads) throws OrtException {
    return options(threads, Map.of());
  }

  static OrtSession.SessionOptions options(int threads, Map<String, String> config) throws OrtException {
    OrtSession.SessionOptions o = new OrtSession.SessionOptions();
    try {
      if (threads > 0) {
        o.setIntraOpNumThreads(threads);
      }
      for (Map.Entry<String, String> c : config.entrySet()) {
        o.addConfigEntry(c.getKey(), c.getValue());
      }
      o.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
      return o;
    } catch (OrtException ex) {
      o.close();
      throw ex;
    }
  }

  static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    return s.lines().findFirst().orElse("").replaceFirst("^Error code - \\S+ - message: ", "").strip();
  }

  /** Removes ORT's extraction folder at exit (only when it is ORT's own, in java.io.tmpdir). */
  private static void registerTempCleanup() {
    Path dir;
    try {
      Class<?> c = Class.forName("ai.onnxruntime.OnnxRuntime");
      Field f = c.getDeclaredField("tempDirectory");
      f.setAccessible(true);
      dir = (Path) f.get(null);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return; // another ORT version or a module setup that hides it: leave the folder
    }
    if (dir == null) {
      return;
    }
    Path tmp = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath().normalize();
    Path abs = dir.toAbsolutePath().normalize();
    if (!tmp.equals(abs.getParent()) || !abs.getFileName().toString().startsWith("onnxruntime-java")) {
      return;
    }
    Thread hook = new Thread(() -> removeFolder(abs), "zero-init-ort-tmp-cleanup");
    try {
      java.lang.Runtime.getRuntime().addShutdownHook(hook);
    } catch (IllegalStateException e) {
      // already shutting down
    }
  }

  static void removeFolder(Path dir) {
    try {
      if (!Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        return;
      }
      try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
        for (Path p : s) {
          if (Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Files.deleteIfExists(p); // libraries ORT extracted; already loaded, so safe to unlink
          }
        }
      }
      Files.deleteIfExists(dir);
    } catch (IOException | RuntimeException e) {
      // best effort at exit
    }
  }
}
