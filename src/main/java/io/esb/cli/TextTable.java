package io.esb.cli;

import java.util.List;

/**
 * A plain-text table as the esb command prints them: the first column left-aligned, the middle ones right-aligned
 * (counts), the last one as it is (free text, unpadded); two spaces between columns.
 */
final class TextTable {
    private TextTable() {}

    static String render(List<? extends List<String>> rows) {
        int columns = rows.get(0).size();
        var widths = new int[columns];
        for (var row : rows) {
            for (int i = 0; i < row.size(); i++) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        var text = new StringBuilder();
        for (var row : rows) {
            var line = new StringBuilder(pad(row.get(0), widths[0], false));
            for (int i = 1; i < row.size() - 1; i++) {
                line.append("  ").append(pad(row.get(i), widths[i], true));
            }
            line.append("  ").append(row.get(row.size() - 1));
            text.append(line.toString().stripTrailing()).append('\n');
        }
        return text.toString();
    }

    private static String pad(String value, int width, boolean right) {
        var spaces = " ".repeat(Math.max(0, width - value.length()));
        return right ? spaces + value : value + spaces;
    }
}
