#pragma once

#include <vector>

#include <QWidget>

#include "core/analysis/architectureranking.h"

class QComboBox;
class QLineEdit;
class QToolButton;
class QMenu;

namespace ckpt::app
{

// The toolbar's architecture picker: a searchable list of the built-in catalog ("builtin:resnet18"), plus a
// menu for a TorchScript file, another checkpoint or a JSON key list. Emits the chosen spec string; an empty
// string means "no architecture".
class ArchitectureChooser : public QWidget
{
    Q_OBJECT
public:
    explicit ArchitectureChooser(QWidget* parent = nullptr);

    // Adds the file actions to the button's menu (they live in the window so the menu bar shares them).
    void setFileActions(const QList<QAction*>& actions);
    // Shows `spec` as the current choice without emitting (adds it to the list when it is a file).
    void setCurrentSpec(const QString& spec, const QString& label = {});
    QString currentSpec() const;
    // Orders the built-in entries by fit for the open file, best first, each labelled with its fit (and the
    // file's own hint); an empty ranking restores the alphabetical catalog. The current choice is kept.
    void setRanking(const std::vector<ArchitectureFit>& ranking);
    // The entries as shown, for tests: "(none)", "resnet18  100% fit", ...
    QStringList entryTexts() const;
    // The combo's text field (tests read what part of the current text is in view).
    QLineEdit* lineEdit() const;

signals:
    void architectureChosen(const QString& spec);

private:
    void activate(int index);
    void fillCatalog(const std::vector<ArchitectureFit>& ranking);
    void showTextStart();

    QComboBox* m_combo = nullptr;
    QToolButton* m_more = nullptr;
    QMenu* m_menu = nullptr;
};

} // namespace ckpt::app
