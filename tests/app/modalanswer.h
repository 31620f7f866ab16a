#pragma once

#include <functional>
#include <memory>

#include <QAbstractButton>
#include <QApplication>
#include <QMessageBox>
#include <QTimer>

// Answers the next modal message box by clicking the button whose text contains `button` (e.g. "Replace",
// "Cancel"), from a timer that polls while the box's own event loop runs. `asked` counts the boxes seen.
namespace ckpt::testing
{

inline void answerNextMessageBox(const QString& button, int* asked, QString* text = nullptr)
{
    auto poll = std::make_shared<std::function<void(int)>>();
    *poll = [poll, button, asked, text](int triesLeft) {
        auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
        if (!box) {
            if (triesLeft > 0) QTimer::singleShot(20, [poll, triesLeft] { (*poll)(triesLeft - 1); });
            return;
        }
        if (asked) ++*asked;
        if (text) *text = box->text();
        for (QAbstractButton* b : box->buttons())
            if (b->text().remove(QLatin1Char('&')).contains(button)) {
                b->click();
                return;
            }
        box->reject();
    };
    QTimer::singleShot(0, [poll] { (*poll)(500); });
}

} // namespace ckpt::testing
