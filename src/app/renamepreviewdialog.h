#pragma once

#include <memory>

#include <QDialog>

#include "core/analysis/renamerule.h"
#include "core/edit/renameplan.h"
#include "core/format/loader.h"

class QPushButton;
class QSortFilterProxyModel;

namespace Ui
{
class RenamePreviewDialog;
}

namespace ckpt::models
{
class RenamePreviewModel;
}

namespace ckpt::app
{

class ExportDialog;

// "Fix prefixes": every key of the main state dict with its old and new name, the rule in words and collisions
// marked, for a chosen target layout; "Export..." continues to the export dialog with that plan.
class RenamePreviewDialog : public QDialog
{
    Q_OBJECT
public:
    RenamePreviewDialog(CheckpointPtr doc, const QString& path, const RenameRule& rule, QWidget* parent = nullptr);
    ~RenamePreviewDialog() override;

    void setLayoutTarget(TargetLayout layout);
    TargetLayout layoutTarget() const;
    bool planValid() const { return m_plan != nullptr; }
    const RenamePlan* plan() const { return m_plan.get(); }
    models::RenamePreviewModel* previewModel() const { return m_model; }
    // Continues to the export dialog (what the Export... button does); nullptr when the plan is refused.
    ExportDialog* continueToExport();

signals:
    void exportDialogOpened(ckpt::app::ExportDialog* dialog);

private:
    void rebuild();
    void applyFilter();

    std::unique_ptr<Ui::RenamePreviewDialog> m_ui;
    CheckpointPtr m_doc;
    QString m_path;
    RenameRule m_rule;
    std::vector<std::string> m_keys;
    std::unique_ptr<RenamePlan> m_plan;
    models::RenamePreviewModel* m_model = nullptr;
    QSortFilterProxyModel* m_proxy = nullptr;
    QPushButton* m_export = nullptr;
};

} // namespace ckpt::app
