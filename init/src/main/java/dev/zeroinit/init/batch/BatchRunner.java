package dev.zeroinit.init.batch;

import dev.zeroinit.init.Plan;
import dev.zeroinit.init.Planner;
import dev.zeroinit.init.Rewriter;
import dev.zeroinit.onnxio.DeferredContent;
import dev.zeroinit.onnxio.ExternalDataLayout;
import dev.zeroinit.onnxio.InvalidModelException;
import dev.zeroinit.onnxio.ModelWriter;
import dev.zeroinit.onnxio.OnnxModel;
import dev.zeroinit.onnxio.WriteOptions;
import dev.zeroinit.onnxio.WriteRefusedException;
import dev.zeroinit.onnxio.WriteResult;
import dev.zeroinit.onnxio.external.ExternalDataStore;
import dev.zeroinit.onnxio.proto.Onnx.ModelProto;
import dev.zeroinit.onnxio.proto.Onnx.StringStringEntryProto;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Rewrites every model under a folder into a mirror folder: each model read, planned, rewritten and
 * written atomically on its own, a failure recorded and the others going on.
 *
 * <p>Scheduling: one thread walks the models in path order; for each it takes a job slot ({@code
 * jobs}), reads the model's graph (weights stay on disk), estimates its {@link Footprint} and waits
 * until that fits in the {@link MemoryBudget} (a model larger than the whole budget waits until it
 * can run alone), then hands it to a worker. Workers plan, rewrite and write; the input hash is
 * computed on a separate thread while the writer works and recorded in the result's metadata just
 * before the model file is written, so hashing costs no wall time on a write-bound run.
 *
 * <p>Resume ({@code --resume}): each result records {@link #META_INPUT_SHA256} (see {@link
 * InputHash}) next to the options; a model whose output is readable (its external data present, of
 * the right sizes) and holds the same hash and option entries is skipped; otherwise it is redone and
 * its output replaced. The record sits in the output itself, so shards and parallel runs writing
 * one folder need no shared manifest, and a result is complete exactly when its record is there
 * (the model file is renamed into place after its data files).
 *
 * <p>Outputs that share a file: with the KEEP layout two models of a folder that name the same
 * external data file would write it twice; the second one (in path order) is written with the
 * SINGLE layout instead, and its notes say so. This is decided within one run, so models that share
 * a data file must be in one shard.
 */
public final class BatchRunner {
  /** metadata_props key of the input hash a result records. */
  public static final String META_INPUT_SHA256 = "dev.zeroinit.input-sha256";

  private final BatchOptions o;
  private final BatchListener listener;
  private final Path inputDir;
  private final Path outputDir;
  private final MemoryBudget budget;
  private final AtomicBoolean stop = new AtomicBoolean();
  /** Output files (models, data files) already taken in this run, with the model taking each. */
  private final Map<Path, String> claims = new HashMap<>();
  private ExecutorService hashers;

  private BatchRunner(BatchOptions o, BatchListener listener) throws IOException {
    this.o = o;
    this.listener = listener == null ? BatchListener.NONE : listener;
    if (!Files.isDirectory(o.inputDir())) {
      throw new NoSuchFileException(o.inputDir().toString(), null, "not a folder");
    }
    this.inputDir = o.inputDir().toRealPath();
    Path out = o.outputDir().toAbsolutePath().normalize();
    this.outputDir = Files.exists(out) ? out.toRealPath() : out;
    this.budget = new MemoryBudget(o.memoryBudget());
  }

  /** Runs the batch; returns when every selected model is done (or not run). */
  public static BatchResult run(BatchOptions options, BatchListener listener)
      throws IOException, InterruptedException {
    return new BatchRunner(options, listener).run();
  }

  private BatchResult run() throws IOException, InterruptedException {
    long t0 = System.nanoTime();
    List<String> all = ModelDiscovery.find(inputDir, outputDir);
    List<String> mine = all.stream().filter(o.shard()::contains).toList();
    listener.selected(all.size(), mine);
    for (String path : mine) {
      claims.put(outputDir.resolve(path).normalize(), path);
    }
    ModelOutcome[] outcomes = new ModelOutcome[mine.size()];
    ExecutorService workers = Executors.newFixedThreadPool(o.jobs(), daemon("zero-init-job"));
    hashers = Executors.newCachedThreadPool(daemon("zero-init-hash"));
    Semaphore slots = new Semaphore(o.jobs());
    try {
      for (int i = 0; i < mine.size(); i++) {
        String path = mine.get(i);
        if (stop.get()) {
          outcomes[i] = notRun(path);
          listener.finished(outcomes[i]);
          continue;
        }
        slots.acquire();
        if (stop.get()) {
          slots.release();
          outcomes[i] = notRun(path);
          listener.finished(outcomes[i]);
          continue;
        }
        Prepared p;
        try {
          p = prepare(path);
        } catch (Exception | OutOfMemoryError | StackOverflowError e) {
          slots.release();
          outcomes[i] = failed(path, e, 0, 0, List.of());
          finish(outcomes[i]);
          continue;
        }
        budget.acquire(p.footprint);
        final int index = i;
        try {
          workers.execute(() -> {
            ModelOutcome outcome;
            try {
              listener.started(p.path, p.footprint);
              outcome = process(p);
            } catch (Throwable e) {
              outcome = failed(p.path, e, System.nanoTime() - p.start, p.footprint, p.notes);
            } finally {
              closeQuietly(p.model);
              budget.release(p.footprint);
              slots.release();
            }
            outcomes[index] = outcome;
            finish(outcome);
          });
        } catch (RuntimeException e) { // rejected: cannot happen before shutdown
          closeQuietly(p.model);
          budget.release(p.footprint);
          slots.release();
          throw e;
        }
      }
    } finally {
      workers.shutdown();
      while (!workers.awaitTermination(1, TimeUnit.HOURS)) {
        // a model may take long; wait for it
      }
      hashers.shutdownNow();
    }
    return new BatchResult(all.size(), List.of(outcomes), System.nanoTime() - t0, budget.total(),
        budget.peak());
  }

  private void finish(ModelOutcome outcome) {
    if (outcome.status() == ModelOutcome.Status.FAILED && o.failFast()) {
      stop.set(true);
    }
    listener.finished(outcome);
  }

  /** A model read and scheduled, before its rewrite. */
  private record Prepared(String path, Path input, Path output, OnnxModel model, long footprint,
      ExternalDataLayout layout, List<String> notes, long inputBytes, long start) { }

  /** Reads the graph, settles the layout and the files the result will take, estimates memory. */
  private Prepared prepare(String path) throws Exception {
    long start = System.nanoTime();
    Path input = inputDir.resolve(path);
    Path output = outputDir.resolve(path).normalize();
    if (!o.force() && !o.resume() && Files.exists(output)) {
      throw new WriteRefusedException(output + " exists; use --force to replace it, or --resume to "
          + "keep it when it is up to date");
    }
    OnnxModel model = OnnxModel.read(input);
    try {
      List<String> notes = new ArrayList<>();
      ExternalDataLayout layout = claimFiles(path, model, output, notes);
      long footprint = Footprint.estimate(model, layout);
      return new Prepared(path, input, output, model, footprint, layout, notes,
          model.fileSize() + model.externalBytes(), start);
    } catch (Exception | Error e) {
      closeQuietly(model);
      throw e;
    }
  }

  /**
   * The layout this model is written with: the requested one, unless with KEEP one of its data files
   * is also written by another model of this run; then SINGLE. Takes the files in {@link #claims}.
   */
  private ExternalDataLayout claimFiles(String path, OnnxModel model, Path output, List<String> notes)
      throws IOException, WriteRefusedException {
    ExternalDataLayout layout = o.layout();
    Path single = output.resolveSibling(output.getFileName() + ".data");
    List<Path> wanted = new ArrayList<>();
    if (layout == ExternalDataLayout.KEEP) {
      Path folder = model.file().getParent().toRealPath();
      for (ExternalDataStore.Region r : model.externalRegions().values()) {
        Path data = output.resolveSibling(ModelDiscovery.relative(folder, r.file())).normalize();
        if (!wanted.contains(data)) {
          wanted.add(data);
        }
      }
      for (Path data : wanted) {
        String owner = claims.get(data);
        if (owner != null && !owner.equals(path)) {
          notes.add("its external data file '" + output.getParent().relativize(data)
              + "' is also written by " + owner + "; written as '" + single.getFileName()
              + "' (--external-data single) instead");
          layout = ExternalDataLayout.SINGLE;
          break;
        }
      }
    }
    if (layout == ExternalDataLayout.SINGLE) {
      wanted = List.of(single);
      String owner = claims.get(single);
      if (owner != null && !owner.equals(path)) {
        throw new WriteRefusedException("its external data file " + single + " would also be written by "
            + owner + "; rename one of the two");
      }
    }
    for (Path data : wanted) {
      claims.put(data, path);
    }
    return layout;
  }

  private ModelOutcome process(Prepared p) throws Exception {
    List<Path> hashFiles = InputHash.files(p.model);
    List<String> notes = new ArrayList<>(p.notes);
    String knownHash = null;
    String redone = null;
    if (o.resume() && Files.exists(p.output)) {
      Resume r = checkResume(p.output, hashFiles);
      if (r.upToDate) {
        return new ModelOutcome(p.path, p.input, p.output, ModelOutcome.Status.UP_TO_DATE, null,
            "the output records this input (sha256 " + r.hash.substring(0, 12) + "...) and options",
            p.inputBytes, -1, -1, 0, 0, List.of(), null, System.nanoTime() - p.start, r.hash,
            p.footprint, notes);
      }
      knownHash = r.hash;
      redone = "redone: " + r.why;
      notes.add(redone);
    }
    Plan plan;
    try {
      plan = Planner.plan(p.model.proto(), o.plan());
    } catch (InvalidModelException e) {
      throw e.inFile(p.input);
    }
    Files.createDirectories(p.output.getParent());
    Future<String> hash = knownHash != null ? CompletableFuture.completedFuture(knownHash)
        : hashers.submit(() -> InputHash.sha256(hashFiles));
    WriteResult written;
    try {
      DeferredContent deferred = new DeferredContent();
      deferred.deferMetadata(META_INPUT_SHA256, () -> await(hash));
      ModelProto rewritten;
      try {
        rewritten = Rewriter.apply(p.model.proto(), plan, o.metadata(), deferred);
      } catch (InvalidModelException e) {
        throw e.inFile(p.input);
      }
      WriteOptions w = WriteOptions.defaults().withLayout(p.layout)
          .withOverwrite(o.force() || o.resume()).withDurable(o.durable());
      written = ModelWriter.write(p.model, rewritten, p.output, w, deferred);
    } finally {
      if (!hash.isDone()) {
        hash.cancel(true);
      }
    }
    notes.addAll(written.notes());
    String check = o.afterRewrite().check(p.input, p.output, plan);
    if (check != null) {
      notes.add(check);
    }
    return new ModelOutcome(p.path, p.input, p.output, ModelOutcome.Status.REWRITTEN, null, redone,
        p.inputBytes, plan.rewritten().size(), plan.skipped().size(), plan.bytesRewritten(),
        written.bytesWritten(), written.dataFiles(), written.layout().name().toLowerCase(),
        System.nanoTime() - p.start, await(hash), p.footprint, notes);
  }

  private record Resume(boolean upToDate, String hash, String why) { }

  /** Whether the existing output records this input and these options; hashes the input if needed. */
  private Resume checkResume(Path output, List<Path> hashFiles) throws IOException {
    Map<String, String> recorded = new HashMap<>();
    try (OnnxModel out = OnnxModel.read(output)) {
      for (StringStringEntryProto e : out.proto().getMetadataPropsList()) {
        recorded.put(e.getKey(), e.getValue());
      }
    } catch (InvalidModelException e) {
      return new Resume(false, null, "the existing output is not readable (" + e.getMessage() + ")");
    }
    for (Map.Entry<String, String> e : o.resumeKey().entrySet()) {
      if (!e.getValue().equals(recorded.get(e.getKey()))) {
        return new Resume(false, null, "the existing output was made with other options ("
            + e.getKey() + ")");
      }
    }
    String before = recorded.get(META_INPUT_SHA256);
    if (before == null) {
      return new Resume(false, null, "the existing output records no input hash");
    }
    String now = InputHash.sha256(hashFiles);
    return now.equals(before) ? new Resume(true, now, null)
        : new Resume(false, now, "the input changed since the existing output was made");
  }

  private static String await(Future<String> f) throws IOException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while hashing the input");
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof IOException io) {
        throw io;
      }
      if (c instanceof RuntimeException r) {
        throw r;
      }
      throw new IOException("hashing the input failed: " + c, c);
    }
  }

  private ModelOutcome notRun(String path) {
    return new ModelOutcome(path, inputDir.resolve(path), outputDir.resolve(path), ModelOutcome.Status.NOT_RUN,
        null, "not started: --fail-fast stopped the batch after a failure", size(inputDir.resolve(path)),
        -1, -1, 0, 0, List.of(), null, 0, null, 0, List.of());
  }

  private ModelOutcome failed(String path, Throwable e, long nanos, long footprint, List<String> notes) {
    Throwable error = e instanceof InvalidModelException ime ? ime.inFile(inputDir.resolve(path)) : e;
    return new ModelOutcome(path, inputDir.resolve(path), outputDir.resolve(path),
        ModelOutcome.Status.FAILED, error, null, size(inputDir.resolve(path)), -1, -1, 0, 0, List.of(),
        null, nanos, null, footprint, notes);
  }

  private static long size(Path p) {
    try {
      return Files.size(p);
    } catch (IOException e) {
      return -1;
    }
  }

  private static void closeQuietly(OnnxModel m) {
    try {
      m.close();
    } catch (IOException ignored) {
      // read-only channels; nothing to lose
    }
  }

  private static ThreadFactory daemon(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
