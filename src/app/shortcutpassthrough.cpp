#include "app/shortcutpassthrough.h"

#include <QAction>
#include <QKeyEvent>

namespace ckpt::app
{

ShortcutPassThrough::ShortcutPassThrough(const QList<QAction*>& actions, QObject* parent)
    : QObject(parent), m_actions(actions)
{
}

bool ShortcutPassThrough::eventFilter(QObject* watched, QEvent* event)
{
    if (event->type() == QEvent::ShortcutOverride) {
        auto* key = static_cast<QKeyEvent*>(event);
        const QKeySequence pressed(key->keyCombination());
        for (const QAction* action : std::as_const(m_actions)) {
            if (!action->isEnabled()) continue;
            for (const QKeySequence& shortcut : action->shortcuts()) {
                if (shortcut.matches(pressed) == QKeySequence::ExactMatch) {
                    event->ignore(); // not claimed: the shortcut map gives the key to the action
                    return true;
                }
            }
        }
    }
    return QObject::eventFilter(watched, event);
}

} // namespace ckpt::app
