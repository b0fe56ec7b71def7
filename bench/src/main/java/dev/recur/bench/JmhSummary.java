package dev.recur.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * Turns JMH's JSON results into a short text summary: the header lines it is given (machine,
 * commit, command), then one line per benchmark and parameter set with score ± error, GFLOP/s
 * where known, and for the fast member of a twin pair its speed-up over each naive twin.
 *
 * <p>Twins: results of one benchmark class whose parameters are equal except the implementation
 * parameter ({@code path} or {@code impl}, see {@link #IMPLEMENTATION_PARAMS}); a value containing
 * "naive" is a reference twin, any other value a fast one. Speed-up = naive time per operation /
 * fast time per operation (throughput scores are inverted first). GFLOP/s comes from
 * {@link FlopCounts#perOperation} when the benchmark's count is known there, else from a secondary
 * result named "gflop" (an {@code @AuxCounters} counter of GFLOP done).
 *
 * <p>Usage: {@code JmhSummary <jmh-results.json> <summary.txt> [header line]...}; also prints the summary.
 */
public final class JmhSummary {
    /** The parameters that name an implementation; the rest define the problem. */
    public static final List<String> IMPLEMENTATION_PARAMS = List.of("path", "impl");
    static final String PACKAGE_PREFIX = JmhSummary.class.getPackageName() + ".";

    /** One entry of JMH's JSON array. */
    public record Result(String benchmark, Map<String, String> params, double score, double error,
                         String unit, OptionalDouble gflops) {

        /** The benchmark without this package, e.g. {@code CellStepBenchmark.step}. */
        String shortName() {
            return benchmark.startsWith(PACKAGE_PREFIX) ? benchmark.substring(PACKAGE_PREFIX.length()) : benchmark;
        }

        String benchmarkClass() {
            return benchmark.substring(0, Math.max(0, benchmark.lastIndexOf('.')));
        }

        /** The implementation parameter's name, or null when the benchmark has none. */
        String implementationParam() {
            return IMPLEMENTATION_PARAMS.stream().filter(params::containsKey).findFirst().orElse(null);
        }

        String implementation() {
            String p = implementationParam();
            return p == null ? null : params.get(p);
        }

        boolean naive() {
            String impl = implementation();
            return impl != null && impl.contains("naive");
        }

        /** Benchmark class and every parameter but the implementation: equal for twins. */
        String problemKey() {
            Map<String, String> problem = new LinkedHashMap<>(params);
            problem.remove(implementationParam());
            return benchmarkClass() + " " + problem;
        }

        double secondsPerOperation() {
            return JmhSummary.secondsPerOperation(score, unit);
        }
    }

    private JmhSummary() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: JmhSummary <jmh-results.json> <summary.txt> [header line]...");
            System.exit(2);
        }
        System.out.print(write(Path.of(args[0]), Path.of(args[1]), Arrays.asList(args).subList(2, args.length)));
    }

    /** Reads JMH's JSON, writes the summary with these header lines to {@code out}, returns it. */
    public static String write(Path json, Path out, List<String> header) throws IOException {
        String text = summary(header, read(json));
        Files.writeString(out, text);
        return text;
    }

    public static List<Result> read(Path json) throws IOException {
        return parse(new ObjectMapper().readTree(json.toFile()));
    }

    public static List<Result> parse(JsonNode root) {
        List<Result> results = new ArrayList<>();
        for (JsonNode entry : root) {
            Map<String, String> params = new LinkedHashMap<>();
            entry.path("params").properties().forEach(p -> params.put(p.getKey(), p.getValue().asText()));
            JsonNode primary = entry.path("primaryMetric");
            String benchmark = entry.path("benchmark").asText();
            double score = primary.path("score").asDouble(Double.NaN);
            String unit = primary.path("scoreUnit").asText();
            OptionalDouble gflops = FlopCounts.perOperation(benchmark, params)
                    .stream().map(flops -> flops / secondsPerOperation(score, unit) * 1e-9).findFirst();
            JsonNode counter = entry.path("secondaryMetrics").path("gflop");
            if (gflops.isEmpty() && !counter.isMissingNode()) {
                gflops = OptionalDouble.of(1.0 / secondsPerOperation(counter.path("score").asDouble(Double.NaN),
                        counter.path("scoreUnit").asText()));
            }
            results.add(new Result(benchmark, params, score,
                    primary.path("scoreError").asDouble(Double.NaN), unit, gflops));
        }
        return results;
    }

    /**
     * Seconds per operation from a JMH score: time units ("ms/op") as they are, rates ("ops/s")
     * inverted. For a counter such as "gflop" the "operation" is the counter's unit (one GFLOP).
     */
    static double secondsPerOperation(double score, String unit) {
        String[] parts = unit.split("/");
        if (parts.length != 2) throw new IllegalArgumentException("unit '" + unit + "'");
        if (parts[1].equals("op")) return score * seconds(parts[0]);
        if (parts[0].equals("ops")) return seconds(parts[1]) / score;
        throw new IllegalArgumentException("unit '" + unit + "': expected <time>/op or ops/<time>");
    }

    /** JMH's time unit names (TimeValue.tuToString). */
    private static double seconds(String timeUnit) {
        return switch (timeUnit) {
            case "ns" -> 1e-9;
            case "us" -> 1e-6;
            case "ms" -> 1e-3;
            case "s" -> 1;
            case "min" -> 60;
            case "hr" -> 3600;
            case "day" -> 86400;
            default -> throw new IllegalArgumentException("time unit '" + timeUnit + "'");
        };
    }

    /** The whole summary: header lines, a legend, then {@link #lines}. */
    public static String summary(List<String> header, List<Result> results) {
        StringBuilder out = new StringBuilder();
        for (String h : header) out.append(h).append('\n');
        out.append("gpu: no GPU suites yet; they arrive with the CUDA backend\n");
        out.append("note: score ± JMH's 99.9% confidence interval (n/a: too few iterations); ")
                .append("\"Nx vs X\": time per op of twin X / time per op of this line\n");
        out.append('\n');
        for (String line : lines(results)) out.append(line).append('\n');
        return out.toString();
    }

    /**
     * One line per result: twins next to each other (fast first), groups in the order of their
     * first result; the implementation parameter last, so that twins line up.
     */
    public static List<String> lines(List<Result> results) {
        Map<String, List<Result>> groups = new LinkedHashMap<>();
        for (Result r : results) groups.computeIfAbsent(r.problemKey(), key -> new ArrayList<>()).add(r);
        List<Result> ordered = new ArrayList<>();
        for (List<Result> group : groups.values()) {
            group.stream().filter(r -> !r.naive()).forEach(ordered::add);
            group.stream().filter(Result::naive).forEach(ordered::add);
        }
        List<String[]> rows = new ArrayList<>();
        for (Result r : ordered) {
            List<Result> twins = groups.get(r.problemKey());
            rows.add(new String[]{label(r), significant(r.score(), 4), error(r.error()), r.unit(),
                    r.gflops().isPresent() ? String.format(Locale.ROOT, "%.1f GFLOP/s", r.gflops().getAsDouble()) : "",
                    speedUps(r, twins)});
        }
        int[] width = new int[6];
        for (String[] row : rows) {
            for (int c = 0; c < row.length; c++) width[c] = Math.max(width[c], row[c].length());
        }
        List<String> lines = new ArrayList<>();
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-" + width[0] + "s  %" + width[1]
                    + "s ± %-" + width[2] + "s %-" + width[3] + "s", row[0], row[1], row[2], row[3]));
            if (width[4] > 0) line.append(String.format(Locale.ROOT, "  %" + width[4] + "s", row[4]));
            line.append("  ").append(row[5]);
            lines.add(line.toString().stripTrailing());
        }
        return lines;
    }

    private static String label(Result r) {
        StringBuilder s = new StringBuilder(r.shortName());
        String impl = r.implementationParam();
        r.params().forEach((k, v) -> {
            if (!k.equals(impl)) s.append(' ').append(k).append('=').append(v);
        });
        if (impl != null) s.append(' ').append(impl).append('=').append(r.params().get(impl));
        return s.toString();
    }

    /** "12.3x vs fused-naive, 40.1x vs textbook-naive" on a fast result with naive twins, else "". */
    static String speedUps(Result r, List<Result> twins) {
        if (r.implementation() == null || r.naive()) return "";
        List<String> parts = new ArrayList<>();
        for (Result twin : twins) {
            if (!twin.naive()) continue;
            double speedUp = twin.secondsPerOperation() / r.secondsPerOperation();
            parts.add(significant(speedUp, 3) + "x vs " + twin.implementation());
        }
        return String.join(", ", parts);
    }

    private static String error(double error) {
        return Double.isFinite(error) ? significant(error, 2) : "n/a";
    }

    /** At least {@code digits} significant digits (all integer digits), never in exponent notation. */
    static String significant(double v, int digits) {
        if (!Double.isFinite(v)) return String.valueOf(v);
        if (v == 0) return "0";
        int decimals = Math.max(0, digits - 1 - (int) Math.floor(Math.log10(Math.abs(v))));
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }
}
