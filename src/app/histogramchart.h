#pragma once

#include <cstdint>
#include <vector>

#include <QtCharts/QChartView>

namespace ckpt::app
{

// A tensor's value histogram as a filled step curve over the bin edges (64 bins are too many for bar labels).
// Axis ticks are chosen so no two labels read the same (integer counts, enough digits for narrow ranges), and
// the colours follow the palette when it changes (a dark theme switched on while the window is open).
class HistogramChart : public QChartView
{
    Q_OBJECT
public:
    explicit HistogramChart(QWidget* parent = nullptr);
    void setHistogram(const std::vector<double>& edges, const std::vector<uint64_t>& counts, const QString& title);
    void clear();
    // The tick labels as drawn along the value (x) and count (y) axes; empty when no histogram is shown.
    QStringList axisLabels(Qt::Orientation orientation) const;

protected:
    void changeEvent(QEvent* event) override;

private:
    void applyPalette();
};

// The printf format that gives `ticks` evenly spaced labels from `low` to `high` distinct texts ("%.3g" for most
// ranges, more digits when the range is narrow compared with its values).
QString tickLabelFormat(double low, double high, int ticks);

} // namespace ckpt::app
