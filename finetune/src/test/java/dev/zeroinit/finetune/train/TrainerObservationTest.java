package dev.zeroinit.finetune.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.zeroinit.finetune.data.DataLoader;
import dev.zeroinit.finetune.data.DataOptions;
import dev.zeroinit.finetune.data.DataSplits;
import dev.zeroinit.onnxio.proto.Onnx;
import dev.zeroinit.onnxio.tensor.TensorCodec;
import dev.zeroinit.verify.Device;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A listener reads carried values mid-run: before the first step, and after the steps it asks. */
class TrainerObservationTest {
  @Test
  void listenerSeesTheInitialValuesAndTheValuesAfterTheStepsItAsksFor() throws Exception {
    Onnx.ModelProto zero = Models.zeroMlp();
    String w3 = zero.getGraph().getInitializer(2).getName();
    DataOptions d = DataOptions.defaults().withLimit(256);
    DataSplits s = DataLoader.load(Models.fashionMnist(), d);
    FinetuneConfig c = FinetuneConfig.builder().epochs(1).batchSize(64).lr(0.1).device(Device.CPU)
        .threads(1).build();
    Map<Long, float[]> seen = new LinkedHashMap<>();
    List<Long> asked = new ArrayList<>();
    Trainer.Result r = Trainer.train(new Trainer.Run(null, zero, s, d, c), Map.of(),
        new TrainingListener() {
          @Override
          public Set<String> observe(long step) {
            asked.add(step);
            return step % 2 == 0 ? Set.of(w3, "no such value") : Set.of();
          }

          @Override
          public void observed(long step, Map<String, ObservedTensor> values) {
            assertEquals(Set.of(w3), values.keySet());
            ObservedTensor t = values.get(w3);
            float[] v = new float[t.size()];
            for (int i = 0; i < v.length; i++) {
              v[i] = (float) t.get(i);
            }
            seen.put(step, v);
          }
        });
    assertEquals(List.of(0L, 1L, 2L, 3L, 4L), asked);
    assertEquals(Set.of(0L, 2L, 4L), seen.keySet());
    Onnx.TensorProto initial = zero.getGraph().getInitializer(2);
    assertArrayEquals(TensorCodec.decodeFloats(initial), seen.get(0L));
    assertNotEquals(java.util.Arrays.hashCode(seen.get(0L)), java.util.Arrays.hashCode(seen.get(2L)));
    Onnx.TensorProto trained = r.model().getGraph().getInitializerList().stream()
        .filter(t -> t.getName().equals(w3)).findFirst().orElseThrow();
    assertArrayEquals(TensorCodec.decodeFloats(trained), seen.get(4L), "after the last step");
  }
}
