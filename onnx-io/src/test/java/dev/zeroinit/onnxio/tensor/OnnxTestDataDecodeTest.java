package dev.zeroinit.onnxio.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zeroinit.onnxio.InvalidModelException;
import dev.zeroinit.onnxio.proto.Onnx;
import dev.zeroinit.onnxio.testing.Fixtures;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Decodes the tensors of the ONNX backend node tests (written by the ONNX reference tooling, mostly
 * as raw_data). Each {@code input_N.pb} / {@code output_N.pb} is a TensorProto only when the test
 * model's N-th input / output is a tensor, so the model is read to skip sequences and optionals.
 */
class OnnxTestDataDecodeTest {
  private static final Pattern DATA_FILE = Pattern.compile("(input|output)_(\\d+)\\.pb");

  @Test
  void everyFloatTensorOfTheOnnxNodeTestsDecodes() throws IOException, InvalidModelException {
    Path nodes = Fixtures.requireDirectory(
        Fixtures.onnxTestData().resolve("node"), "install Debian package libonnx-testdata");
    int decoded = 0;
    int half = 0;
    try (DirectoryStream<Path> tests = Files.newDirectoryStream(nodes)) {
      for (Path test : tests) {
        Path model = test.resolve("model.onnx");
        Path data = test.resolve("test_data_set_0");
        if (!Files.isRegularFile(model) || !Files.isDirectory(data)) {
          continue;
        }
        Onnx.GraphProto graph;
        try (InputStream in = Files.newInputStream(model)) {
          graph = Onnx.ModelProto.parseFrom(in).getGraph();
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(data, "*.pb")) {
          for (Path file : files) {
            Matcher m = DATA_FILE.matcher(file.getFileName().toString());
            if (!m.matches()) {
              continue;
            }
            List<Onnx.ValueInfoProto> infos =
                m.group(1).equals("input") ? graph.getInputList() : graph.getOutputList();
            int index = Integer.parseInt(m.group(2));
            if (index >= infos.size() || !infos.get(index).getType().hasTensorType()) {
              continue;
            }
            Onnx.TensorProto t = Onnx.TensorProto.parseFrom(Files.readAllBytes(file));
            DataType type = DataType.fromCode(t.getDataType());
            if (!type.isZeroInitFloat()) {
              continue;
            }
            try {
              double[] values = TensorCodec.decode(t);
              assertEquals(TensorCodec.elementCount(t), values.length, file.toString());
              float[] floats = TensorCodec.decodeFloats(t);
              assertEquals(values.length, floats.length, file.toString());
            } catch (InvalidModelException e) {
              throw new AssertionError(file + ": " + e.getMessage(), e);
            }
            decoded++;
            if (type == DataType.FLOAT16 || type == DataType.BFLOAT16) {
              half++;
            }
          }
        }
      }
    }
    assertTrue(decoded > 0, "no float tensors found under " + nodes);
    System.out.println("decoded " + decoded + " float tensors (" + half + " 16-bit) under " + nodes);
  }
}
