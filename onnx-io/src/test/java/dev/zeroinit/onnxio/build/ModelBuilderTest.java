package dev.zeroinit.onnxio.build;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.zeroinit.onnxio.proto.Onnx;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto.DataType;
import org.junit.jupiter.api.Test;

class ModelBuilderTest {

  @Test
  void writesHeaderAndRoundTrips() throws Exception {
    ModelBuilder m = new ModelBuilder("tiny").seed(7).opset(13).metadata("k", "v");
    GraphBuilder g = m.graph();
    String x = g.input("input", DataType.FLOAT, -1, 4);
    g.output(g.rename(g.gemm(x, 2, true), "logits"));
    Onnx.ModelProto model = m.build();
    assertEquals(8, model.getIrVersion());
    assertEquals("zero-init", model.getProducerName());
    assertEquals(1, model.getOpsetImportCount());
    assertEquals("", model.getOpsetImport(0).getDomain());
    assertEquals(13, model.getOpsetImport(0).getVersion());
    assertEquals("tiny", model.getGraph().getName());
    assertEquals("logits", model.getGraph().getOutput(0).getName());
    assertEquals("logits", model.getGraph().getNode(0).getOutput(0));
    assertEquals("v", model.getMetadataProps(0).getValue());
    assertEquals(model, Onnx.ModelProto.parseFrom(model.toByteArray()));
    assertEquals(17, new ModelBuilder().build().getOpsetImport(0).getVersion());
  }
}
