#pragma once

#include <QKeySequence>
#include <QList>
#include <QObject>

class QAction;

namespace ckpt::app
{

// Lets the window's own shortcuts through text fields. A QLineEdit claims Ctrl+E (end of line) and
// Ctrl+Shift+Left/Right (select a word) through ShortcutOverride, so with the filter box focused those actions
// never fired. Installed on such a field, this refuses the claim for the actions' shortcuts only; typing and
// every other editing key stay with the field.
class ShortcutPassThrough : public QObject
{
    Q_OBJECT
public:
    ShortcutPassThrough(const QList<QAction*>& actions, QObject* parent);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    QList<QAction*> m_actions;
};

} // namespace ckpt::app
