package dev.zeroinit.verify;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtEpDevice;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtHardwareDevice;
import ai.onnxruntime.OrtProvider;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A cheap look, before asking ONNX Runtime for its CUDA provider (which unpacks a 344 MB library and
 * takes seconds), at whether that can work here: the build has the provider, an NVIDIA GPU is present
 * (ORT's device list, {@code /proc/driver/nvidia/gpus}, {@code /dev/nvidia0}), and the CUDA 12 and
 * cuDNN 9 libraries ORT 1.26's provider links against are on the loader's path (LD_LIBRARY_PATH, the
 * {@code ldconfig} cache, the usual CUDA folders).
 */
final class CudaProbe {
  /** The shared libraries ORT 1.26's CUDA provider loads. */
  static final List<String> LIBRARIES = List.of("libcudart.so.12", "libcublas.so.12", "libcublasLt.so.12",
      "libcufft.so.11", "libcurand.so.10", "libcudnn.so.9");

  private CudaProbe() { }

  /** Null when CUDA looks usable, else the reason it is not, in one line. */
  static String reasonUnavailable(OrtEnvironment env) {
    if (!OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA)) {
      return "this ONNX Runtime build has no CUDA execution provider";
    }
    if (!gpuPresent(env)) {
      return "no NVIDIA GPU found (ONNX Runtime's device list: " + deviceList(env)
          + "; no /dev/nvidia0 or /proc/driver/nvidia/gpus)";
    }
    List<String> missing = missingLibraries();
    if (missing != null && !missing.isEmpty()) {
      return "the CUDA 12 / cuDNN 9 libraries ONNX Runtime's CUDA provider needs are not on the library path: "
          + String.join(", ", missing);
    }
    return null;
  }

  private static boolean gpuPresent(OrtEnvironment env) {
    try {
      for (OrtEpDevice d : env.getEpDevices()) {
        OrtHardwareDevice h = d.getDevice();
        if (h.getType() == OrtHardwareDevice.OrtHardwareDeviceType.GPU && h.getVendorId() == 0x10DE) {
          return true;
        }
      }
    } catch (OrtException | RuntimeException | LinkageError e) {
      // fall through to the file system
    }
    if (Files.exists(Path.of("/dev/nvidia0"))) {
      return true;
    }
    Path gpus = Path.of("/proc/driver/nvidia/gpus");
    if (Files.isDirectory(gpus)) {
      try (Stream<Path> s = Files.list(gpus)) {
        return s.findAny().isPresent();
      } catch (IOException e) {
        return true;
      }
    }
    return false;
  }

  private static String deviceList(OrtEnvironment env) {
    try {
      Set<String> names = new LinkedHashSet<>();
      for (OrtEpDevice d : env.getEpDevices()) {
        names.add(d.getDevice().getType().name());
      }
      return names.isEmpty() ? "nothing" : String.join(", ", names);
    } catch (OrtException | RuntimeException | LinkageError e) {
      return "nothing it can say";
    }
  }

  /** The libraries not found, or null when the search itself could not run. */
  static List<String> missingLibraries() {
    Set<String> cache = ldconfigCache();
    List<Path> dirs = new ArrayList<>();
    String ld = System.getenv("LD_LIBRARY_PATH");
    if (ld != null) {
      for (String d : ld.split(File.pathSeparator)) {
        if (!d.isEmpty()) {
          dirs.add(Path.of(d));
        }
      }
    }
    for (String d : List.of("/usr/local/cuda/lib64", "/usr/local/cuda-12/lib64", "/usr/lib/x86_64-linux-gnu",
        "/usr/lib64", "/usr/lib")) {
      dirs.add(Path.of(d));
    }
    List<String> missing = new ArrayList<>();
    for (String lib : LIBRARIES) {
      boolean found = cache != null && cache.contains(lib);
      for (int i = 0; !found && i < dirs.size(); i++) {
        found = Files.exists(dirs.get(i).resolve(lib));
      }
      if (!found) {
        missing.add(lib);
      }
    }
    return cache == null && missing.size() == LIBRARIES.size() ? null : missing;
  }

  /** Library names in the dynamic loader's cache, or null when ldconfig cannot be run. */
  private static Set<String> ldconfigCache() {
    for (String exe : List.of("/sbin/ldconfig", "/usr/sbin/ldconfig")) {
      if (!Files.isExecutable(Path.of(exe))) {
        continue;
      }
      try {
        Process p = new ProcessBuilder(exe, "-p").redirectErrorStream(true).start();
        byte[] out;
        try (InputStream in = p.getInputStream()) {
          out = in.readAllBytes();
        }
        if (!p.waitFor(5, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          return null;
        }
        Set<String> names = new LinkedHashSet<>();
        for (String line : new String(out, StandardCharsets.UTF_8).split("\n")) {
          String t = line.strip();
          int sp = t.indexOf(' ');
          if (sp > 0 && t.startsWith("lib")) {
            names.add(t.substring(0, sp));
          }
        }
        return names;
      } catch (IOException e) {
        return null;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }
    return null;
  }
}
