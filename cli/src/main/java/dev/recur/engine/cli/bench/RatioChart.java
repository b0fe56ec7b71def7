package dev.recur.engine.cli.bench;

import dev.recur.engine.io.AtomicFiles;

import org.knowm.xchart.AnnotationLine;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The {@code --png} chart: per shape, one bar per peer, peer time / Recur time, with a line at
 * 1.0 (parity). A peer that refused a shape has no bar there.
 */
final class RatioChart {
    private RatioChart() {
    }

    private static final Color[] PEER_COLORS = {new Color(0x3b75af), new Color(0xe8853a), new Color(0x519e3e)};

    static void write(Path target, String title, List<BenchResult> results, List<Peer> peers) throws IOException {
        // Before the first AWT class loads: charts are drawn off-screen, also on machines with no display.
        System.setProperty("java.awt.headless", "true");
        List<String> labels = results.stream().map(r -> r.shape().shortLabel()).toList();
        double[] measured = results.stream().flatMapToDouble(r -> peers.stream().mapToDouble(r::ratio))
                .filter(x -> !Double.isNaN(x)).toArray();
        double max = Arrays.stream(measured).max().orElse(1);
        double min = Arrays.stream(measured).min().orElse(1);
        // Ratios are multiplicative (2x faster and 2x slower lie equally far from 1): a log axis once
        // they span more than a factor of 20, so that one large ratio does not flatten the others.
        boolean log = Math.max(max, 1) / Math.min(min, 1) > 20;
        CategoryChart chart = new CategoryChartBuilder()
                .width(Math.max(Math.max(640, 9 * title.length()), 120 + 48 * peers.size() * results.size())).height(560)
                .title(title)
                .xAxisTitle("shape (cell, mode, batch, steps, input, hidden); dashed line: parity")
                .yAxisTitle("peer time / Recur time (> 1: Recur faster)" + (log ? ", log scale" : ""))
                .build();
        chart.getStyler()
                .setLabelsVisible(true)
                .setLabelsRotation(0)
                .setLabelsPosition(1.0)
                .setLabelsFontColorAutomaticEnabled(false)
                .setLabelsFontColor(Color.BLACK)
                .setXAxisLabelRotation(60)
                .setYAxisLogarithmic(log)
                .setYAxisMin(log ? Math.pow(10, Math.floor(Math.log10(Math.min(min, 1)))) : 0.0)
                .setYAxisMax(log ? Math.pow(10, Math.ceil(Math.log10(Math.max(max, 1) * 1.5))) : Math.max(1.2, max * 1.15))
                .setYAxisDecimalPattern(log ? "0.###" : "0.00")
                .setLegendVisible(peers.size() > 1)
                .setChartBackgroundColor(Color.WHITE)
                .setSeriesColors(Arrays.copyOf(PEER_COLORS, peers.size()));
        for (Peer p : peers) {
            // null: no bar where the peer refused the shape
            List<Double> ratios = results.stream().map(r -> Double.isNaN(r.ratio(p)) ? null : r.ratio(p)).toList();
            chart.addSeries(p.id() + " / Recur", labels, ratios);
        }
        AnnotationLine parity = new AnnotationLine(1.0, false, false);
        chart.getStyler().setAnnotationLineColor(new Color(0xc0392b))
                .setAnnotationLineStroke(new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                        new float[]{8f, 6f}, 0f));
        chart.addAnnotation(parity);
        AtomicFiles.write(target, BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
    }
}
