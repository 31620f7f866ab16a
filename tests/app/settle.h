#pragma once

#include <QSignalSpy>
#include <QString>

#include "app/mainwindow.h"

// Opens `path` in the window and waits until it is shown, the background architecture ranking is done and the
// automatic check it may start has answered. False when one of them does not come within 30 s.
namespace ckpt::testing
{

inline bool openAndSettle(app::MainWindow& w, const QString& path)
{
    QSignalSpy shown(&w, &app::MainWindow::documentShown);
    QSignalSpy ranked(&w, &app::MainWindow::rankingShown);
    QSignalSpy matched(&w, &app::MainWindow::matchShown);
    w.openFile(path);
    if (!shown.wait(30000)) return false;
    if (!w.document()->mainWeightSet()) return true;
    if (ranked.isEmpty() && !ranked.wait(30000)) return false;
    return w.architectureSpec().isEmpty() || !matched.isEmpty() || matched.wait(30000);
}

} // namespace ckpt::testing
