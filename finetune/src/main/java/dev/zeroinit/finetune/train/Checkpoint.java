package dev.zeroinit.finetune.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zeroinit.finetune.TrainStepGraph.Role;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.CRC32C;

/**
 * The state of a fine-tuning run after a whole epoch, enough to continue it exactly: every value the
 * step graph carries (parameters, optimizer state, step count, normalisation statistics), the epochs
 * and steps done, the seed (the data order of epoch {@code e} and the augmentation of its batch
 * {@code b} are drawn from streams keyed by (seed, e) and (seed, e, b), so seed and epoch are the
 * whole random-number position), the options the run must keep, and the metrics so far.
 *
 * <h2>File format, version 1</h2>
 * One file, {@value #FILE_NAME} in the checkpoint folder, replaced atomically after every epoch
 * (written to a temp file in the same folder, forced to disk, renamed over the old one). Little-endian:
 * <pre>
 *   8 bytes   magic "ZICKPT01"
 *   4 bytes   header length H (uint32, at most 64 MB)
 *   H bytes   header, UTF-8 JSON:
 *             {"format": 1, "epochsDone": E, "stepsDone": S, "seed": N,
 *              "options": {"--lr": "0.1", ...}, "model": "sha256:...", "data": "...",
 *              "history": [{"epoch": 1, "step": 937, "lr": 0.1, "trainLoss": ..., "trainAccuracy": ...,
 *                           "testLoss": ..., "testAccuracy": ..., "samplesPerSecond": ...}, ...],
 *              "tensors": [{"name": "fc1.weight", "role": "PARAMETER", "type": 1, "dims": [784, 784],
 *                           "bytes": 2458624}, ...]}
 *             (values not measured are null)
 *   then      each tensor's raw little-endian bytes, in the header's order, back to back
 *   8 bytes   CRC-32C of every byte before it (uint64)
 * </pre>
 * A reader checks the magic, the header, that the file's length matches the header exactly, and the
 * checksum before it trusts any of it.
 *
 * @param epochsDone whole epochs done
 * @param stepsDone optimizer steps done
 * @param seed the run's seed
 * @param options the options the resuming run must share (see {@link FinetuneConfig#resumeKey()})
 * @param model a fingerprint of the model trained
 * @param data a description of the training data
 * @param history the metrics of the epochs done
 * @param tensors the carried values
 */
public record Checkpoint(int epochsDone, long stepsDone, long seed, Map<String, String> options,
    String model, String data, List<EpochMetrics> history, List<Tensor> tensors) {

  /** The checkpoint's file name in the checkpoint folder. */
  public static final String FILE_NAME = "last.ckpt";
  static final byte[] MAGIC = "ZICKPT01".getBytes(StandardCharsets.US_ASCII);
  static final int FORMAT = 1;
  private static final int MAX_HEADER = 64 << 20;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<Path> LIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(p -> {
      try {
        Files.deleteIfExists(p);
      } catch (IOException e) {
        // the JVM is going down
      }
    }), "zero-init-checkpoint-cleanup"));
  }

  /**
   * One carried value.
   *
   * @param name the step graph input it feeds
   * @param role what it is
   * @param elemType ONNX element type
   * @param dims its dims
   * @param data its raw little-endian bytes (position 0 to limit)
   */
  public record Tensor(String name, Role role, int elemType, long[] dims, ByteBuffer data) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Tensor t && t.name.equals(name) && t.role == role
          && t.elemType == elemType && Arrays.equals(t.dims, dims) && t.data.equals(data);
    }

    @Override
    public int hashCode() {
      return name.hashCode() * 31 + Arrays.hashCode(dims);
    }
  }

  public Checkpoint {
    options = Map.copyOf(options);
    history = List.copyOf(history);
    tensors = List.copyOf(tensors);
  }

  /** The checkpoint file in {@code folder}. */
  public static Path file(Path folder) {
    return folder.resolve(FILE_NAME);
  }

  /**
   * Writes this checkpoint to {@code folder} (created when missing), replacing the last one
   * atomically; returns the file and its size.
   */
  public long write(Path folder) throws IOException {
    Files.createDirectories(folder);
    Path target = file(folder).toAbsolutePath();
    byte[] header = JSON.writeValueAsBytes(header());
    Path tmp = target.resolveSibling("." + FILE_NAME + "."
        + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
    LIVE.add(tmp);
    boolean done = false;
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE)) {
      CRC32C crc = new CRC32C();
      ByteBuffer head = ByteBuffer.allocate(MAGIC.length + 4 + header.length)
          .order(ByteOrder.LITTLE_ENDIAN);
      head.put(MAGIC).putInt(header.length).put(header).flip();
      crc.update(head.duplicate());
      writeFully(ch, head);
      for (Tensor t : tensors) {
        ByteBuffer d = t.data().duplicate().position(0);
        crc.update(d.duplicate());
        writeFully(ch, d);
      }
      ByteBuffer tail = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      tail.putLong(crc.getValue()).flip();
      writeFully(ch, tail);
      ch.force(true);
      long size = ch.size();
      ch.close();
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException(folder + ": the file system cannot replace a file atomically", e);
      }
      done = true;
      return size;
    } finally {
      if (!done) {
        Files.deleteIfExists(tmp);
      }
      LIVE.remove(tmp);
    }
  }

  private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  private ObjectNode header() {
    ObjectNode h = JSON.createObjectNode();
    h.put("format", FORMAT);
    h.put("epochsDone", epochsDone);
    h.put("stepsDone", stepsDone);
    h.put("seed", seed);
    ObjectNode o = h.putObject("options");
    options.entrySet().stream().sorted(Map.Entry.comparingByKey())
        .forEach(e -> o.put(e.getKey(), e.getValue()));
    h.put("model", model);
    h.put("data", data);
    ArrayNode hist = h.putArray("history");
    for (EpochMetrics m : history) {
      ObjectNode e = hist.addObject();
      e.put("epoch", m.epoch());
      e.put("step", m.step());
      number(e, "lr", m.lr());
      number(e, "trainLoss", m.trainLoss());
      number(e, "trainAccuracy", m.trainAccuracy());
      number(e, "testLoss", m.testLoss());
      number(e, "testAccuracy", m.testAccuracy());
      number(e, "samplesPerSecond", m.samplesPerSecond());
    }
    ArrayNode ts = h.putArray("tensors");
    for (Tensor t : tensors) {
      ObjectNode e = ts.addObject();
      e.put("name", t.name());
      e.put("role", t.role().name());
      e.put("type", t.elemType());
      ArrayNode d = e.putArray("dims");
      for (long x : t.dims()) {
        d.add(x);
      }
      e.put("bytes", t.data().limit());
    }
    return h;
  }

  private static void number(ObjectNode o, String key, double v) {
    if (Double.isFinite(v)) {
      o.put(key, v);
    } else {
      o.putNull(key);
    }
  }

  /** A checkpoint that cannot be used: damaged, of another format, or not a checkpoint. */
  public static final class BadCheckpointException extends IOException {
    private static final long serialVersionUID = 1L;

    BadCheckpointException(Path file, String message) {
      super(file + ": " + message);
    }
  }

  /** Reads and checks a checkpoint file; tensor data lands in direct buffers. */
  public static Checkpoint read(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      CRC32C crc = new CRC32C();
      if (size < MAGIC.length + 4 + 8) {
        throw new BadCheckpointException(file, "too short to be a checkpoint (" + size + " bytes)");
      }
      ByteBuffer head = ByteBuffer.allocate(MAGIC.length + 4).order(ByteOrder.LITTLE_ENDIAN);
      readFully(ch, head, file);
      head.flip();
      byte[] magic = new byte[MAGIC.length];
      head.get(magic);
      if (!Arrays.equals(magic, MAGIC)) {
        throw new BadCheckpointException(file, "not a zero-init checkpoint (no ZICKPT01 magic)");
      }
      long headerLength = Integer.toUnsignedLong(head.getInt());
      if (headerLength > MAX_HEADER || headerLength > size - head.capacity() - 8) {
        throw new BadCheckpointException(file, "header length " + headerLength
            + " does not fit the file (" + size + " bytes)");
      }
      crc.update(head.flip());
      ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
      readFully(ch, headerBytes, file);
      headerBytes.flip();
      crc.update(headerBytes.duplicate());
      JsonNode h;
      try {
        h = JSON.readTree(headerBytes.array());
      } catch (IOException e) {
        throw new BadCheckpointException(file, "unreadable header (" + firstLine(e.getMessage())
            + ")");
      }
      Parsed p = parse(h, file);
      long expected = head.capacity() + headerLength + p.dataBytes + 8;
      if (expected != size) {
        throw new BadCheckpointException(file, "is " + size + " bytes but its header describes "
            + expected + " (truncated or damaged)");
      }
      List<Tensor> tensors = new ArrayList<>();
      for (Slot t : p.slots) {
        ByteBuffer data = TensorData.direct(t.bytes());
        readFully(ch, data, file);
        data.flip();
        crc.update(data.duplicate());
        tensors.add(new Tensor(t.name(), t.role(), t.elemType(), t.dims(), data));
      }
      ByteBuffer tail = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(ch, tail, file);
      if (tail.flip().getLong() != crc.getValue()) {
        throw new BadCheckpointException(file, "checksum mismatch (the file is damaged)");
      }
      return new Checkpoint(p.epochsDone, p.stepsDone, p.seed, p.options, p.model, p.data,
          p.history, tensors);
    }
  }

  /** A tensor as the header describes it, before its bytes are read. */
  private record Slot(String name, Role role, int elemType, long[] dims, long bytes) {}

  private record Parsed(int epochsDone, long stepsDone, long seed, Map<String, String> options,
      String model, String data, List<EpochMetrics> history, List<Slot> slots, long dataBytes) {}

  private static Parsed parse(JsonNode h, Path file) throws BadCheckpointException {
    if (!h.isObject() || h.path("format").asInt(-1) != FORMAT) {
      throw new BadCheckpointException(file, "checkpoint format " + h.path("format")
          + ", this tool reads format " + FORMAT);
    }
    int epochs = required(h, "epochsDone", file).asInt(-1);
    long steps = required(h, "stepsDone", file).asLong(-1);
    long seed = required(h, "seed", file).asLong();
    if (epochs < 0 || steps < 0) {
      throw new BadCheckpointException(file, "negative epoch or step count");
    }
    Map<String, String> options = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = h.path("options").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      options.put(e.getKey(), e.getValue().asText());
    }
    List<EpochMetrics> history = new ArrayList<>();
    for (JsonNode e : h.path("history")) {
      history.add(new EpochMetrics(e.path("epoch").asInt(), e.path("step").asLong(),
          num(e, "lr"), num(e, "trainLoss"), num(e, "trainAccuracy"), num(e, "testLoss"),
          num(e, "testAccuracy"), num(e, "samplesPerSecond")));
    }
    List<Slot> slots = new ArrayList<>();
    long total = 0;
    JsonNode ts = required(h, "tensors", file);
    if (!ts.isArray()) {
      throw new BadCheckpointException(file, "'tensors' is not a list");
    }
    for (JsonNode t : ts) {
      String name = required(t, "name", file).asText();
      Role role;
      try {
        role = Role.valueOf(required(t, "role", file).asText());
      } catch (IllegalArgumentException e) {
        throw new BadCheckpointException(file, "tensor '" + name + "' has an unknown role");
      }
      int type = required(t, "type", file).asInt();
      JsonNode d = required(t, "dims", file);
      long[] dims = new long[d.size()];
      for (int i = 0; i < dims.length; i++) {
        dims[i] = d.get(i).asLong(-1);
        if (dims[i] < 0) {
          throw new BadCheckpointException(file, "tensor '" + name + "' has a negative dim");
        }
      }
      long bytes = required(t, "bytes", file).asLong(-1);
      long expected;
      try {
        expected = TensorData.byteLength(type, dims);
      } catch (IllegalArgumentException | ArithmeticException e) {
        throw new BadCheckpointException(file, "tensor '" + name + "' has type " + type
            + " and dims " + Arrays.toString(dims) + ", which do not describe a tensor");
      }
      if (bytes != expected) {
        throw new BadCheckpointException(file, "tensor '" + name + "' holds " + bytes
            + " bytes, its type and dims say " + expected);
      }
      if (bytes > Integer.MAX_VALUE - 8) {
        throw new BadCheckpointException(file, "tensor '" + name + "' holds " + bytes
            + " bytes, more than one tensor can (2 GB)");
      }
      total += bytes;
      slots.add(new Slot(name, role, type, dims, bytes));
    }
    return new Parsed(epochs, steps, seed, options, h.path("model").asText(""),
        h.path("data").asText(""), history, slots, total);
  }

  private static JsonNode required(JsonNode n, String key, Path file)
      throws BadCheckpointException {
    JsonNode v = n.get(key);
    if (v == null || v.isNull()) {
      throw new BadCheckpointException(file, "the header has no '" + key + "'");
    }
    return v;
  }

  private static double num(JsonNode n, String key) {
    JsonNode v = n.get(key);
    return v == null || !v.isNumber() ? Double.NaN : v.asDouble();
  }

  private static void readFully(FileChannel ch, ByteBuffer b, Path file) throws IOException {
    while (b.hasRemaining()) {
      if (ch.read(b) < 0) {
        throw new BadCheckpointException(file, "ends early (truncated)");
      }
    }
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
