package dev.recur.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** JMH's JSON (a small hand-written file, {@code jmh-sample.json}) to the text summary. */
class JmhSummaryTest {

    private static Path sample() throws URISyntaxException {
        return Path.of(JmhSummaryTest.class.getResource("/jmh-sample.json").toURI());
    }

    @Test
    void readsScoresErrorsUnitsAndParameters() throws Exception {
        List<JmhSummary.Result> results = JmhSummary.read(sample());
        assertThat(results).hasSize(9);
        JmhSummary.Result first = results.getFirst();
        assertThat(first.benchmark()).isEqualTo("dev.recur.bench.CellStepBenchmark.step");
        assertThat(first.params()).containsExactly(Map.entry("batch", "1"), Map.entry("hidden", "255"),
                Map.entry("mode", "lstm"), Map.entry("pass", "forward"), Map.entry("path", "fused-naive"));
        assertThat(first.score()).isEqualTo(10.0);
        assertThat(first.error()).isEqualTo(0.5);
        assertThat(first.unit()).isEqualTo("us/op");
        assertThat(results.get(2).error()).as("JMH writes \"NaN\" for one iteration").isNaN();
        assertThat(results.get(3).params()).as("no params").isEmpty();
    }

    @Test
    void gflopsFromTheLayerFlopCountOrFromTheGflopCounter() throws Exception {
        List<JmhSummary.Result> results = JmhSummary.read(sample());
        // LSTM 1x100x256x512 forward: 2·4·512·768·100 = 314 572 800 FLOP in 2 ms
        assertThat(results.get(4).gflops()).hasValueCloseTo(157.2864, within(1e-9));
        assertThat(results.get(3).gflops()).as("FmaPeak's gflop counter, ops/s").hasValueCloseTo(444.2, within(1e-9));
        assertThat(results.get(6).gflops()).as("SgemmBenchmark's gflop counter").hasValueCloseTo(9.826, within(1e-9));
        assertThat(results.getFirst().gflops()).as("a cell step has no FLOP count").isEmpty();
    }

    @Test
    void secondsPerOperationFromTimeAndRateUnits() {
        assertThat(JmhSummary.secondsPerOperation(2.5, "ms/op")).isCloseTo(2.5e-3, within(1e-15));
        assertThat(JmhSummary.secondsPerOperation(40, "us/op")).isCloseTo(4e-5, within(1e-15));
        assertThat(JmhSummary.secondsPerOperation(1000, "ops/s")).isCloseTo(1e-3, within(1e-15));
        assertThat(JmhSummary.secondsPerOperation(4, "ops/ms")).isCloseTo(2.5e-4, within(1e-15));
        assertThat(JmhSummary.secondsPerOperation(3, "s/op")).isEqualTo(3.0);
    }

    @Test
    void linesGroupTwinsFastFirstWithSpeedUps() throws Exception {
        List<String> lines = JmhSummary.lines(JmhSummary.read(sample()));
        assertThat(lines).hasSize(9);
        assertThat(lines).map(l -> l.substring(0, l.indexOf("  "))).containsExactly(
                "CellStepBenchmark.step batch=1 hidden=255 mode=lstm pass=forward path=fused-vector",
                "CellStepBenchmark.step batch=1 hidden=255 mode=lstm pass=forward path=fused-naive",
                "CellStepBenchmark.step batch=1 hidden=255 mode=lstm pass=forward path=unfused-naive",
                "FmaPeakBenchmark.fmaChains",
                "RecurrentLayerBenchmark.fused mode=lstm pass=forward shape=1x100x256x512 path=fused-vector",
                "RecurrentLayerBenchmark.fused mode=lstm pass=forward shape=1x100x256x512 path=fused-naive",
                // twin of the fused pair although JMH ran it last: same class, same problem
                "RecurrentLayerBenchmark.textbook mode=lstm pass=forward shape=1x100x256x512 path=textbook-naive",
                // the implementation parameter goes last
                "SgemmBenchmark.gemm shape=17x17x17 trans=NN impl=vector",
                "SgemmBenchmark.gemm shape=17x17x17 trans=NN impl=naive");

        // avgt: naive time / fast time
        assertThat(lines.get(0)).endsWith("0.5000 ± 0.010 us/op                 20.0x vs fused-naive, 40.0x vs unfused-naive");
        assertThat(lines.get(4)).endsWith("2.000 ± 0.040 ms/op  157.3 GFLOP/s  20.0x vs fused-naive, 25.0x vs textbook-naive");
        // thrpt: fast rate / naive rate
        assertThat(lines.get(7)).endsWith("1000000 ± 20000 ops/s    9.8 GFLOP/s  10.0x vs naive");
        // naive lines and lines without twins carry no speed-up; a missing error reads n/a
        assertThat(lines.get(2)).endsWith("20.00 ± n/a   us/op");
        assertThat(lines.get(3)).endsWith("2000 ± 50    ops/s  444.2 GFLOP/s");
        assertThat(lines.get(5)).endsWith("40.00 ± 1.5   ms/op    7.9 GFLOP/s");
        assertThat(lines).filteredOn(l -> l.contains(" vs ")).hasSize(3);
    }

    @Test
    void noGflopColumnWhenNoResultHasOne() throws Exception {
        List<String> lines = JmhSummary.lines(JmhSummary.read(sample()).subList(0, 3));
        assertThat(lines.getFirst()).endsWith("path=fused-vector   0.5000 ± 0.010 us/op  20.0x vs fused-naive, 40.0x vs unfused-naive");
        assertThat(lines.get(1)).endsWith("path=fused-naive     10.00 ± 0.50  us/op");
    }

    @Test
    void summaryFileHasTheHeaderThenTheLines(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("summary.txt");
        String written = JmhSummary.write(sample(), out, List.of("machine: test cpu, 2 cores", "commit: abc1234"));
        List<String> text = Files.readAllLines(out);
        assertThat(written).isEqualTo(Files.readString(out));
        assertThat(text.subList(0, 3)).containsExactly("machine: test cpu, 2 cores", "commit: abc1234",
                "gpu: no GPU suites yet; they arrive with the CUDA backend");
        assertThat(text.get(3)).startsWith("note: ");
        assertThat(text.get(4)).isEmpty();
        assertThat(text.subList(5, text.size())).isEqualTo(JmhSummary.lines(JmhSummary.read(sample())));
    }

    @Test
    void significantDigits() {
        assertThat(JmhSummary.significant(0.5, 4)).isEqualTo("0.5000");
        assertThat(JmhSummary.significant(1.28666, 4)).isEqualTo("1.287");
        assertThat(JmhSummary.significant(443.04, 4)).isEqualTo("443.0");
        assertThat(JmhSummary.significant(12345.6, 4)).isEqualTo("12346");
        assertThat(JmhSummary.significant(0.0123456, 2)).isEqualTo("0.012");
        assertThat(JmhSummary.significant(0.00367, 3)).isEqualTo("0.00367");
    }

    @Test
    void emptyResultsGiveOnlyTheHeader() throws IOException {
        assertThat(JmhSummary.lines(List.of())).isEmpty();
        assertThat(JmhSummary.summary(List.of("commit: x"), List.of())).startsWith("commit: x\n");
    }

    @Test
    void kernelBenchmarksPairTwinsOfTheSameKernel() {
        // One benchmark method, the kernel a parameter: add's vector line is compared with add's
        // naive line only, whatever order JMH ran them in.
        String call = ElementwiseKernelBenchmark.class.getName() + ".call";
        List<JmhSummary.Result> results = List.of(
                result(call, "add", "vector", 2.0), result(call, "sub", "vector", 4.0),
                result(call, "sub", "naive", 8.0), result(call, "add", "naive", 20.0));
        assertThat(JmhSummary.lines(results)).map(l -> l.replaceAll(" +", " ")).containsExactly(
                "ElementwiseKernelBenchmark.call kernel=add n=513 impl=vector 2.000 ± n/a us/op 10.0x vs naive",
                "ElementwiseKernelBenchmark.call kernel=add n=513 impl=naive 20.00 ± n/a us/op",
                "ElementwiseKernelBenchmark.call kernel=sub n=513 impl=vector 4.000 ± n/a us/op 2.00x vs naive",
                "ElementwiseKernelBenchmark.call kernel=sub n=513 impl=naive 8.000 ± n/a us/op");
    }

    private static JmhSummary.Result result(String benchmark, String kernel, String impl, double microseconds) {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("impl", impl);
        params.put("kernel", kernel);
        params.put("n", "513");
        return new JmhSummary.Result(benchmark, params, microseconds, Double.NaN, "us/op", OptionalDouble.empty());
    }
}
