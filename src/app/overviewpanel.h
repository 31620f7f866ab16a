#pragma once

#include <QWidget>

#include "core/format/loader.h"

class QLabel;
class QChartView;

namespace ckpt::app
{

// What the file is, before any row is selected: format, kind, size, tensors, parameters and buffers, bytes per
// dtype and per top-level module (a bar chart), locations, the wrapper prefix and the security verdict.
class OverviewPanel : public QWidget
{
    Q_OBJECT
public:
    explicit OverviewPanel(QWidget* parent = nullptr);

    void setDocument(CheckpointPtr doc);
    QString text() const;  // the facts as shown (HTML)
    int chartBars() const; // bars in the per-module chart (0 when hidden)
    QChartView* chartView() const { return m_chart; }
    QLabel* factsLabel() const { return m_facts; }

protected:
    // A palette change (dark theme switched on) redraws the facts and the chart in the new colours.
    void changeEvent(QEvent* event) override;

private:
    QLabel* m_facts = nullptr;
    QChartView* m_chart = nullptr;
    CheckpointPtr m_doc;
    int m_bars = 0;
};

} // namespace ckpt::app
