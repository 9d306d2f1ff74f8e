package dev.coffer.bench;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Draws the suite's medians as a PNG (Java2D, headless): operations/s per workload beside the
 * pgbench baseline (log scale), and latency p50 / p99 / p99.9 per workload (log scale).
 */
public final class BenchChart {

    private static final int W = 1300, H = 560, TOP = 90, BOTTOM = 110, PANEL = 560, GAP = 90, LEFT = 70;
    private static final Color[] LATENCY_COLORS = {new Color(0x4C78A8), new Color(0xF58518), new Color(0xE45756)};

    private BenchChart() {}

    public static void write(Path png, Map<String, Map<String, Object>> medians, String title) throws IOException {
        System.setProperty("java.awt.headless", "true");
        BufferedImage im = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = im.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, H);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString(title, LEFT, 28);
        List<String> names = new ArrayList<>(medians.keySet());
        double[] ops = new double[names.size()];
        for (int i = 0; i < ops.length; i++) ops[i] = value(medians.get(names.get(i)), "operations_per_sec");
        panel(g, LEFT, "operations/s (median, log scale)", names, new double[][]{ops},
                new Color[]{new Color(0x54A24B)}, null, names.indexOf("baseline-pgbench"));
        List<String> timed = new ArrayList<>();
        for (String n : names) if (value(medians.get(n), "latency_p99_ms") > 0) timed.add(n);
        double[][] lat = new double[3][timed.size()];
        String[] keys = {"latency_p50_ms", "latency_p99_ms", "latency_p999_ms"};
        for (int k = 0; k < 3; k++) for (int i = 0; i < timed.size(); i++) lat[k][i] = value(medians.get(timed.get(i)), keys[k]);
        panel(g, LEFT + PANEL + GAP, "latency ms (median of runs, log scale)", timed, lat, LATENCY_COLORS, new String[]{"p50", "p99", "p99.9"}, -1);
        g.dispose();
        if (png.toAbsolutePath().getParent() != null) Files.createDirectories(png.toAbsolutePath().getParent());
        ImageIO.write(im, "png", png.toFile());
    }

    private static double value(Map<String, Object> m, String key) {
        return m != null && m.get(key) instanceof Number n ? n.doubleValue() : 0;
    }

    private static void panel(Graphics2D g, int x0, String label, List<String> names, double[][] series, Color[] colors, String[] legend, int highlight) {
        int y0 = TOP, h = H - TOP - BOTTOM;
        double max = 1, min = Double.MAX_VALUE;
        for (double[] s : series) for (double v : s) if (v > 0) { max = Math.max(max, v); min = Math.min(min, v); }
        if (min == Double.MAX_VALUE) min = 1;
        double lo = Math.pow(10, Math.floor(Math.log10(min))), hi = Math.pow(10, Math.ceil(Math.log10(max * 1.01)));
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        g.setColor(Color.BLACK);
        g.drawString(label, x0, y0 - 12);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        for (double t = lo; t <= hi * 1.0001; t *= 10) {
            int y = y0 + h - (int) Math.round((Math.log10(t) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) * h);
            g.setColor(new Color(0xDDDDDD));
            g.drawLine(x0, y, x0 + PANEL, y);
            g.setColor(Color.DARK_GRAY);
            String s = t >= 1 ? String.format(Locale.ROOT, "%,d", (long) t) : String.format(Locale.ROOT, "%.2f", t);
            g.drawString(s, x0 - 6 - g.getFontMetrics().stringWidth(s), y + 4);
        }
        int groups = Math.max(1, names.size());
        double slot = (double) PANEL / groups;
        double bar = Math.min(40, slot * 0.8 / series.length);
        for (int i = 0; i < names.size(); i++) {
            double gx = x0 + i * slot + (slot - bar * series.length) / 2;
            for (int k = 0; k < series.length; k++) {
                double v = series[k][i];
                if (v <= 0) continue;
                int top = y0 + h - (int) Math.round((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) * h);
                g.setColor(i == highlight ? new Color(0x9D755D) : colors[k]);
                g.fillRect((int) (gx + k * bar), top, (int) Math.ceil(bar) - 1, y0 + h - top);
                if (series.length == 1) {
                    g.setColor(Color.BLACK);
                    String s = String.format(Locale.ROOT, "%,.0f", v);
                    g.drawString(s, (int) (gx + bar / 2 - g.getFontMetrics().stringWidth(s) / 2.0), top - 4);
                }
            }
            g.setColor(Color.BLACK);
            Graphics2D r = (Graphics2D) g.create();
            r.translate(x0 + i * slot + slot / 2, y0 + h + 8);
            r.rotate(Math.toRadians(35));
            r.drawString(names.get(i), 0, 0);
            r.dispose();
        }
        g.setColor(Color.BLACK);
        g.setStroke(new BasicStroke(1));
        g.drawLine(x0, y0 + h, x0 + PANEL, y0 + h);
        g.drawLine(x0, y0, x0, y0 + h);
        if (legend != null) {
            int lx = x0 + PANEL - 70 * legend.length;
            for (int k = 0; k < legend.length; k++) {
                g.setColor(colors[k]);
                g.fillRect(lx + k * 70, y0 - 40, 12, 12);
                g.setColor(Color.BLACK);
                g.drawString(legend[k], lx + k * 70 + 16, y0 - 30);
            }
        }
    }
}
