#pragma once

#include <QDialog>
#include <QList>

class QAction;
class QTableWidget;
class QTabWidget;
class QTextBrowser;

namespace ckpt::app
{

// Help > Manual (F1) and Help > Keyboard Shortcuts: the bundled manual page and the list of every shortcut,
// read from the window's actions so it cannot drift from what the keys do.
class HelpDialog : public QDialog
{
    Q_OBJECT
public:
    enum Page { ManualPage, ShortcutsPage };
    HelpDialog(const QList<QAction*>& actions, Page page, QWidget* parent = nullptr);

    QString manualText() const;
    // "Ctrl+E\tFix prefixes...", one line per action with a shortcut.
    QStringList shortcutLines() const;
    int currentPage() const;

private:
    QTabWidget* m_tabs = nullptr;
    QTextBrowser* m_manual = nullptr;
    QTableWidget* m_shortcuts = nullptr;
};

} // namespace ckpt::app
