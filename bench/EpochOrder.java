import dev.zeroinit.finetune.data.Augmentation;
import dev.zeroinit.finetune.data.Batches;
import dev.zeroinit.finetune.data.DataLoader;
import dev.zeroinit.finetune.data.DataOptions;
import dev.zeroinit.finetune.data.Dataset;
import java.nio.file.Path;

/**
 * Prints the training sample order of one epoch exactly as {@code zero-init finetune} uses it (the
 * loop's own {@code Batches}, shuffled with the run's seed), one index a line, so that another
 * framework can train on the same batches.
 *
 * <p>{@code java -cp cli/target/zero-init.jar bench/EpochOrder.java DATA LIMIT BATCH SEED EPOCH > order.txt}
 */
public class EpochOrder {
  public static void main(String[] args) throws Exception {
    Dataset train = DataLoader.load(Path.of(args[0]),
        DataOptions.defaults().withLimit(Integer.parseInt(args[1]))).train();
    Batches b = new Batches(train, Integer.parseInt(args[2]), true, true, Long.parseLong(args[3]),
        null, Augmentation.NONE);
    b.startEpoch(Integer.parseInt(args[4]));
    StringBuilder out = new StringBuilder();
    for (int i : b.order()) {
      out.append(i).append('\n');
    }
    System.out.print(out);
  }
}
