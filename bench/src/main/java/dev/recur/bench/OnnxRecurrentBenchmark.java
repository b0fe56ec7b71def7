package dev.recur.bench;

import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.io.OnnxTensor;
import dev.recur.engine.io.onnx.OnnxProto;
import dev.recur.engine.onnx.OnnxModel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * ONNX recurrent nodes the fused layer does not run, through {@link OnnxModel}, on their two
 * paths: {@code path=kernels} (OnnxKernelRecurrence: per step one SGEMM and the engine's vector
 * kernels gate by gate) and {@code path=stepwise}, their reference (OnnxStepwiseRecurrence: the
 * spec's equations in double, with the naive SGEMM), which a model loaded on the naive kernels runs. Nodes: {@code gru-reset-before} (GRU, linear_before_reset = 0,
 * with B) and {@code lstm-peepholes-clip} (LSTM with P and clip 3). Shapes "BxTxIxH": a batch of 1,
 * an awkward one, and the bidirectional benchmark model's size.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Thread)
public class OnnxRecurrentBenchmark {
    @Param({"gru-reset-before", "lstm-peepholes-clip"})
    public String node;

    @Param({"kernels", "stepwise"})
    public String path;

    @Param({"1x64x64x128", "17x13x13x33", "32x64x64x128"})
    public String shape;

    private OnnxModel model;
    private Map<String, OnnxTensor> inputs;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        String[] p = shape.split("x");
        int batch = Integer.parseInt(p[0]), steps = Integer.parseInt(p[1]), input = Integer.parseInt(p[2]);
        int hidden = Integer.parseInt(p[3]);
        boolean lstm = switch (node) {
            case "gru-reset-before" -> false;
            case "lstm-peepholes-clip" -> true;
            default -> throw new IllegalArgumentException("unknown node '" + node + "'");
        };
        int gates = lstm ? 4 : 3;
        SplittableRandom rng = new SplittableRandom(7);
        OnnxProto.NodeProto.Builder recurrent = OnnxProto.NodeProto.newBuilder().setOpType(lstm ? "LSTM" : "GRU").setName("rnn")
                .addInput("X").addInput("W").addInput("R").addInput("B").addOutput("Y")
                .addAttribute(OnnxProto.AttributeProto.newBuilder().setName("hidden_size").setI(hidden)
                        .setType(OnnxProto.AttributeProto.AttributeType.INT));
        if (lstm) {
            recurrent.addInput("").addInput("").addInput("").addInput("P")
                    .addAttribute(OnnxProto.AttributeProto.newBuilder().setName("clip").setF(3f)
                            .setType(OnnxProto.AttributeProto.AttributeType.FLOAT));
        }
        if (!path.equals("kernels") && !path.equals("stepwise")) {
            throw new IllegalArgumentException("unknown path '" + path + "'");
        }
        OnnxProto.GraphProto.Builder graph = OnnxProto.GraphProto.newBuilder().setName("rnn").addNode(recurrent)
                .addInitializer(tensor("W", rng, 1, gates * hidden, input))
                .addInitializer(tensor("R", rng, 1, gates * hidden, hidden))
                .addInitializer(tensor("B", rng, 1, 2 * gates * hidden))
                .addInput(value("X", steps, batch, input))
                .addOutput(OnnxProto.ValueInfoProto.newBuilder().setName("Y")
                        .setType(OnnxProto.TypeProto.newBuilder().setTensorType(OnnxProto.TypeProto.Tensor.newBuilder()
                                .setElemType(OnnxTensor.Type.FLOAT.code()))));
        if (lstm) graph.addInitializer(tensor("P", rng, 1, 3 * hidden));
        OnnxProto.ModelProto proto = OnnxProto.ModelProto.newBuilder().setIrVersion(8).setGraph(graph)
                .addOpsetImport(OnnxProto.OperatorSetIdProto.newBuilder().setDomain("").setVersion(14)).build();
        Path file = Files.createTempFile("recur-onnx-rnn", ".onnx");
        try {
            Files.write(file, proto.toByteArray());
            model = path.equals("kernels") ? OnnxModel.load(file) : OnnxModel.load(file, KernelProvider.naive());
        } finally {
            Files.delete(file);
        }
        float[] x = new float[steps * batch * input];
        for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextDouble(-1, 1);
        inputs = Map.of("X", OnnxTensor.ofFloats(x, steps, batch, input));
    }

    private static OnnxProto.TensorProto tensor(String name, SplittableRandom rng, int... dims) {
        OnnxProto.TensorProto.Builder t = OnnxProto.TensorProto.newBuilder().setName(name)
                .setDataType(OnnxTensor.Type.FLOAT.code());
        long n = 1;
        for (int d : dims) {
            t.addDims(d);
            n *= d;
        }
        for (long i = 0; i < n; i++) t.addFloatData((float) rng.nextDouble(-0.3, 0.3));
        return t.build();
    }

    private static OnnxProto.ValueInfoProto value(String name, int... dims) {
        OnnxProto.TensorShapeProto.Builder shape = OnnxProto.TensorShapeProto.newBuilder();
        for (int d : dims) shape.addDim(OnnxProto.TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        return OnnxProto.ValueInfoProto.newBuilder().setName(name).setType(OnnxProto.TypeProto.newBuilder()
                .setTensorType(OnnxProto.TypeProto.Tensor.newBuilder().setElemType(OnnxTensor.Type.FLOAT.code())
                        .setShape(shape))).build();
    }

    @Benchmark
    public Map<String, OnnxTensor> run() {
        return model.run(inputs);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        model.close();
    }
}
