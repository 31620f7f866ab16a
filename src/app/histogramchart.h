#pragma once

#include <cstdint>
#include <vector>

#include <QtCharts/QChartView>

namespace ckpt::app
{

// A tensor's value histogram as a filled step curve over the bin edges (64 bins are too many for bar labels).
class HistogramChart : public QChartView
{
    Q_OBJECT
public:
    explicit HistogramChart(QWidget* parent = nullptr);
    void setHistogram(const std::vector<double>& edges, const std::vector<uint64_t>& counts, const QString& title);
    void clear();
};

} // namespace ckpt::app
