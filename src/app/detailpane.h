#pragma once

#include <atomic>
#include <memory>

#include <QFutureWatcher>
#include <QWidget>

#include "app/tensorstatsjob.h"
#include "core/distributed/layout.h"
#include "models/checkpointtree.h"

class QLabel;
class QProgressBar;
class QFormLayout;

namespace ckpt::models
{
class ChunkTableModel;
class TensorValuesModel;
} // namespace ckpt::models

namespace ckpt::app
{

class HistogramChart;
class OverviewPanel;

// What the selected row is: a tensor's dtype, shape, strides, storage, location and the views sharing its
// storage, then statistics and a histogram computed in the background. A new selection cancels the old job.
class DetailPane : public QWidget
{
    Q_OBJECT
public:
    explicit DetailPane(QWidget* parent = nullptr);
    ~DetailPane() override;

    void setTree(std::shared_ptr<const models::CheckpointTree> tree);
    void showNode(int nodeId);
    bool statsRunning() const { return m_watcher != nullptr; }
    bool spinnerShown() const; // the busy indicator under the facts
    OverviewPanel* overview() const { return m_overview; }
    HistogramChart* chart() const { return m_chart; }
    QString statsText() const;
    // The selected tensor's chunks in a DCP or DeepSpeed directory (nullptr for other rows and files).
    const models::ChunkTableModel* chunkModel() const { return m_chunks; }
    // The selected tensor's first values (nullptr for other rows); filled when previewFinished is emitted.
    const models::TensorValuesModel* valuesModel() const { return m_values; }
    QString valuesCaption() const;
    // The text of the facts row named `label` ("Coverage", "Role", ...), empty when there is none.
    QString factText(const QString& label) const;

signals:
    void statsFinished();   // a job for the current selection ended (result shown or error shown)
    void previewFinished(); // the current tensor's values table is filled (or says why not)

private:
    void showTensor(int tensor);
    void startStats(int tensor);
    void cancelStats();
    void clearForm();
    void showOverview(bool on);
    void addRow(const QString& label, const QString& value);
    void showChunks(const distributed::VirtualTensor& tensor);
    void startPreview(int tensor);

    std::shared_ptr<const models::CheckpointTree> m_tree;
    QLabel* m_title = nullptr;
    QFormLayout* m_form = nullptr;
    QLabel* m_stats = nullptr;
    OverviewPanel* m_overview = nullptr; // shown while no row is selected
    QWidget* m_scroll = nullptr;         // the selected row's facts
    CheckpointPtr m_overviewDoc;
    QProgressBar* m_spinner = nullptr; // busy while statistics (or LibTorch itself) load
    HistogramChart* m_chart = nullptr;
    models::ChunkTableModel* m_chunks = nullptr;
    models::TensorValuesModel* m_values = nullptr;
    QLabel* m_valuesLabel = nullptr;
    quint64 m_previewGeneration = 0;
    QFutureWatcher<StatsAnswer>* m_watcher = nullptr;
    std::shared_ptr<std::atomic<bool>> m_cancel;
};

} // namespace ckpt::app
