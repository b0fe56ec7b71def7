package dev.recur.engine.cli.train;

import dev.recur.engine.io.AtomicFiles;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A sequence-to-sequence model's attention for one input as a PNG heat map: source characters across, output characters down. */
final class AttentionChart {
    private AttentionChart() {
    }

    /** weights[i][s]: output token i's weight on source position s. */
    static void write(Path target, String source, String output, float[][] weights) throws IOException {
        List<String> x = new ArrayList<>(), y = new ArrayList<>();
        for (int s = 0; s < source.length(); s++) x.add((s + 1) + " " + label(source.charAt(s)));
        for (int i = 0; i < output.length(); i++) y.add((i + 1) + " " + label(output.charAt(i)));
        List<Number[]> heat = new ArrayList<>();
        for (int i = 0; i < weights.length && i < output.length(); i++) {
            for (int s = 0; s < source.length(); s++) heat.add(new Number[]{s, i, weights[i][s]});
        }
        HeatMapChart chart = new HeatMapChartBuilder().width(Math.max(480, 28 * source.length() + 160))
                .height(Math.max(320, 28 * output.length() + 140)).title("attention: \"" + source + "\" -> " + output)
                .xAxisTitle("source").yAxisTitle("output").build();
        chart.getStyler().setShowValue(false).setMin(0).setMax(1).setRangeColors(new Color[]{Color.WHITE, new Color(0x1F4E79)});
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.addSeries("attention", x, y, heat);
        AtomicFiles.write(target, BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
    }

    private static String label(char c) {
        return c == ' ' ? "\u2423" : String.valueOf(c);
    }
}
