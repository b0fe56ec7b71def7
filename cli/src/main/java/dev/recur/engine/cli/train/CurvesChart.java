package dev.recur.engine.cli.train;

import dev.recur.engine.io.AtomicFiles;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * {@code curves.png}: two panels side by side, the loss (train and validation) and the task's
 * metric against steps, or — for a comparison such as the demo — one loss curve per run.
 */
public final class CurvesChart {
    private static final int PANEL_WIDTH = 640, HEIGHT = 440;

    private CurvesChart() {
    }

    /** The curves of one run: loss (train, validation) | metric (validation). */
    public static void write(Path target, String title, TrainingLog log) throws IOException {
        XYChart loss = panel(title + ": loss", "loss");
        addSeries(loss, "train", log.rows(), TrainingLog.Row::trainLoss);
        addSeries(loss, "validation", log.rows(), TrainingLog.Row::valLoss);
        XYChart metric = panel(title + ": " + log.metricName(), log.metricName());
        addSeries(metric, log.metricName(), log.rows(), TrainingLog.Row::metric);
        writePanels(target, List.of(loss, metric));
    }

    /** One panel, one series per run (e.g. RNN, GRU, LSTM), of the column chosen; log scale when asked. */
    public static void writeComparison(Path target, String title, String yTitle, Map<String, TrainingLog> runs,
                                       ToDoubleFunction<TrainingLog.Row> column, boolean logScale) throws IOException {
        XYChart chart = panel(title, yTitle);
        chart.getStyler().setYAxisLogarithmic(logScale);
        for (Map.Entry<String, TrainingLog> run : new LinkedHashMap<>(runs).entrySet()) {
            addSeries(chart, run.getKey(), run.getValue().rows(), column);
        }
        writePanels(target, List.of(chart));
    }

    private static XYChart panel(String title, String yTitle) {
        System.setProperty("java.awt.headless", "true"); // before the first AWT class: no display needed
        XYChart chart = new XYChartBuilder().width(PANEL_WIDTH).height(HEIGHT).title(title)
                .xAxisTitle("step").yAxisTitle(yTitle).build();
        chart.getStyler().setXAxisDecimalPattern("#")       // "12500", not "12,500" running into its neighbour
                .setXAxisTickMarkSpacingHint(90);
        chart.getStyler().setChartBackgroundColor(Color.WHITE).setMarkerSize(0).setLegendVisible(true)
                .setLegendPosition(Styler.LegendPosition.InsideNE);
        return chart;
    }

    /** Adds the finite points of a column; a series with none is left out (XChart refuses empty series). */
    private static void addSeries(XYChart chart, String name, List<TrainingLog.Row> rows, ToDoubleFunction<TrainingLog.Row> column) {
        List<Double> x = new ArrayList<>(), y = new ArrayList<>();
        for (TrainingLog.Row r : rows) {
            double v = column.applyAsDouble(r);
            if (Double.isFinite(v) && (!chart.getStyler().isYAxisLogarithmic() || v > 0)) {
                x.add((double) r.step());
                y.add(v);
            }
        }
        if (!x.isEmpty()) {
            XYSeries series = chart.addSeries(name, x, y);
            series.setMarker(SeriesMarkers.NONE);
        }
    }

    private static void writePanels(Path target, List<XYChart> panels) throws IOException {
        BufferedImage image = new BufferedImage(PANEL_WIDTH * panels.size(), HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            for (int i = 0; i < panels.size(); i++) {
                g.drawImage(BitmapEncoder.getBufferedImage(panels.get(i)), i * PANEL_WIDTH, 0, null);
            }
        } finally {
            g.dispose();
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(image, "png", png);
        AtomicFiles.write(target, png.toByteArray());
    }
}
