#include "app/histogramchart.h"

#include <algorithm>

#include <QtCharts/QAreaSeries>
#include <QtCharts/QLineSeries>
#include <QtCharts/QValueAxis>

namespace ckpt::app
{

HistogramChart::HistogramChart(QWidget* parent) : QChartView(parent)
{
    setRenderHint(QPainter::Antialiasing);
    setMinimumHeight(150);
    chart()->legend()->hide();
    chart()->setMargins(QMargins(2, 2, 2, 2));
    chart()->setBackgroundRoundness(0);
    // Follow the application palette so the chart is readable in dark themes too.
    const QPalette pal = palette();
    chart()->setBackgroundBrush(pal.color(QPalette::Base));
    chart()->setTitleBrush(pal.color(QPalette::Text));
}

void HistogramChart::clear()
{
    chart()->removeAllSeries();
    for (QAbstractAxis* axis : chart()->axes())
        chart()->removeAxis(axis);
    chart()->setTitle(QString());
}

void HistogramChart::setHistogram(const std::vector<double>& edges, const std::vector<uint64_t>& counts,
                                  const QString& title)
{
    clear();
    if (edges.size() != counts.size() + 1 || counts.empty()) return;
    auto* upper = new QLineSeries;
    auto* lower = new QLineSeries;
    uint64_t top = 0;
    for (size_t i = 0; i < counts.size(); ++i) {
        upper->append(edges[i], double(counts[i]));
        upper->append(edges[i + 1], double(counts[i]));
        top = std::max(top, counts[i]);
    }
    lower->append(edges.front(), 0.0);
    lower->append(edges.back(), 0.0);
    auto* area = new QAreaSeries(upper, lower);
    const QPalette pal = palette();
    QColor fill = pal.color(QPalette::Highlight);
    area->setPen(QPen(fill, 1.0));
    fill.setAlpha(150);
    area->setBrush(fill);
    chart()->addSeries(area);
    auto* x = new QValueAxis;
    x->setRange(edges.front(), edges.back());
    x->setLabelFormat(QStringLiteral("%.3g"));
    x->setTickCount(5);
    auto* y = new QValueAxis;
    y->setRange(0, double(top) * 1.05 + 1);
    y->setLabelFormat(QStringLiteral("%.0f"));
    y->setTickCount(4);
    for (QValueAxis* axis : {x, y}) {
        axis->setLabelsBrush(pal.color(QPalette::Text));
        axis->setGridLineColor(pal.color(QPalette::Mid));
    }
    chart()->addAxis(x, Qt::AlignBottom);
    chart()->addAxis(y, Qt::AlignLeft);
    area->attachAxis(x);
    area->attachAxis(y);
    chart()->setTitle(title);
}

} // namespace ckpt::app
