#pragma once

#include <atomic>
#include <memory>

#include <QFrame>
#include <QFutureWatcher>

#include "core/format/loader.h"

class QLabel;
class QPushButton;

namespace ckpt::app
{

// The one-click prefix repair. Shown when every key of the main state dict carries a wrapper prefix
// (`module.` from DataParallel/DDP, `_orig_mod.` from torch.compile, ...): "Repair" writes NAME_fixed.EXT beside
// the input with the prefix removed, in the background (cancellable), verified by the exporter re-opening it,
// then offers Open and Show in folder. An existing file is replaced only after "Replace?".
class RepairBanner : public QFrame
{
    Q_OBJECT
public:
    explicit RepairBanner(QWidget* parent = nullptr);
    ~RepairBanner() override;

    // Shows the offer for `prefix` ("" hides the banner). Files with dangerous imports get no one-click
    // repair: the export dialog asks what to leave out first.
    void setDocument(CheckpointPtr doc, const QString& path, const QString& prefix);
    QString prefix() const { return m_prefix; }
    // NAME_fixed.EXT in the input's folder (safetensors stays safetensors; other formats become a torch zip).
    QString destination() const;
    // The one click. Returns false (with the reason shown) when nothing was started.
    bool repair();
    void cancel();
    bool isRunning() const { return m_watcher != nullptr; }
    QString statusText() const;
    QString resultPath() const { return m_result; }

signals:
    void repairFinished(bool ok, const QString& path);
    void openRequested(const QString& path);
    void previewRequested();

private:
    struct Outcome;
    void finish();
    void showOffer();

    CheckpointPtr m_doc;
    QString m_path;
    QString m_prefix;
    QString m_result;
    QLabel* m_label = nullptr;
    QPushButton* m_repair = nullptr;
    QPushButton* m_preview = nullptr;
    QPushButton* m_cancel = nullptr;
    QPushButton* m_open = nullptr;
    QPushButton* m_reveal = nullptr;
    QFutureWatcher<std::shared_ptr<Outcome>>* m_watcher = nullptr;
    std::shared_ptr<std::atomic<bool>> m_cancelFlag;
};

} // namespace ckpt::app
