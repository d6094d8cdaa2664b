package dev.zeroinit.onnxio.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.zeroinit.onnxio.proto.Onnx.GraphProto;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto;
import dev.zeroinit.onnxio.proto.Onnx.ValueInfoProto;
import java.util.List;
import org.junit.jupiter.api.Test;

class GraphInputsTest {
  @Test
  void inputsThatInitializersDefineAreNotFed() {
    // as IR < 4 writes it: every initializer also listed as an input
    GraphProto g = GraphProto.newBuilder()
        .addInput(ValueInfoProto.newBuilder().setName("x"))
        .addInput(ValueInfoProto.newBuilder().setName("w"))
        .addInput(ValueInfoProto.newBuilder().setName("mask"))
        .addInitializer(TensorProto.newBuilder().setName("w"))
        .addInitializer(TensorProto.newBuilder().setName("b"))
        .build();
    assertEquals(List.of("x", "mask"), GraphInputs.fed(g).stream().map(ValueInfoProto::getName)
        .toList());
  }
}
