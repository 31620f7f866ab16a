#include "app/histogramchart.h"

#include <algorithm>
#include <cmath>

#include <QEvent>
#include <QtCharts/QAreaSeries>
#include <QtCharts/QLineSeries>
#include <QtCharts/QValueAxis>

namespace ckpt::app
{

namespace
{

constexpr int kValueTicks = 5;
constexpr int kCountTicks = 4;

QStringList labelsOf(const QValueAxis* axis)
{
    QStringList out;
    const int n = axis->tickCount();
    const QByteArray format = axis->labelFormat().toLatin1();
    for (int i = 0; i < n; ++i) {
        const double v = axis->min() + (axis->max() - axis->min()) * i / std::max(1, n - 1);
        out << QString::asprintf(format.constData(), v);
    }
    return out;
}

} // namespace

QString tickLabelFormat(double low, double high, int ticks)
{
    for (int digits = 3; digits <= 15; ++digits) {
        const QByteArray format = QStringLiteral("%.%1g").arg(digits).toLatin1();
        QStringList labels;
        for (int i = 0; i < ticks; ++i)
            labels << QString::asprintf(format.constData(), low + (high - low) * i / std::max(1, ticks - 1));
        labels.removeDuplicates();
        if (labels.size() == ticks) return QString::fromLatin1(format);
    }
    return QStringLiteral("%.15g");
}

HistogramChart::HistogramChart(QWidget* parent) : QChartView(parent)
{
    setRenderHint(QPainter::Antialiasing);
    setMinimumHeight(150);
    chart()->legend()->hide();
    chart()->setMargins(QMargins(2, 2, 2, 2));
    chart()->setBackgroundRoundness(0);
    applyPalette();
}

void HistogramChart::changeEvent(QEvent* event)
{
    QChartView::changeEvent(event);
    if (event->type() == QEvent::PaletteChange) applyPalette();
}

// Follow the application palette so the chart is readable in dark themes too, also after a theme switch.
void HistogramChart::applyPalette()
{
    const QPalette pal = palette();
    chart()->setBackgroundBrush(pal.color(QPalette::Base));
    chart()->setTitleBrush(pal.color(QPalette::Text));
    for (QAbstractAxis* axis : chart()->axes()) {
        axis->setLabelsBrush(pal.color(QPalette::Text));
        axis->setGridLineColor(pal.color(QPalette::Mid));
    }
    for (QAbstractSeries* series : chart()->series()) {
        if (auto* area = qobject_cast<QAreaSeries*>(series)) {
            QColor fill = pal.color(QPalette::Highlight);
            area->setPen(QPen(fill, 1.0));
            fill.setAlpha(150);
            area->setBrush(fill);
        }
    }
}

void HistogramChart::clear()
{
    chart()->removeAllSeries();
    for (QAbstractAxis* axis : chart()->axes())
        chart()->removeAxis(axis);
    chart()->setTitle(QString());
}

QStringList HistogramChart::axisLabels(Qt::Orientation orientation) const
{
    for (QAbstractAxis* axis : chart()->axes(orientation))
        if (auto* values = qobject_cast<QValueAxis*>(axis)) return labelsOf(values);
    return {};
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
    chart()->addSeries(area);
    auto* x = new QValueAxis;
    x->setRange(edges.front(), edges.back());
    x->setTickCount(kValueTicks);
    x->setLabelFormat(tickLabelFormat(edges.front(), edges.back(), kValueTicks));
    // Counts are integers: the axis ends on a multiple of the tick step, so every label is a different integer
    // (a top count of 1 used to read "0 1 1 2").
    auto* y = new QValueAxis;
    const double step = std::max(1.0, std::ceil(double(top) * 1.05 / (kCountTicks - 1)));
    y->setRange(0, step * (kCountTicks - 1));
    y->setTickCount(kCountTicks);
    y->setLabelFormat(QStringLiteral("%.0f"));
    chart()->addAxis(x, Qt::AlignBottom);
    chart()->addAxis(y, Qt::AlignLeft);
    area->attachAxis(x);
    area->attachAxis(y);
    chart()->setTitle(title);
    applyPalette();
}

} // namespace ckpt::app
