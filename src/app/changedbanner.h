#pragma once

#include <QFrame>

class QLabel;
class QPushButton;

namespace ckpt::app
{

// "model.pth changed on disk since it was opened" with Reload and Dismiss: shown when a watched file of the open
// document is rewritten, truncated or replaced (the core's checkFilesUnchanged confirms it), so what the window
// shows is never silently out of date and no tensor bytes are read from a file that moved under them.
class ChangedBanner : public QFrame
{
    Q_OBJECT
public:
    explicit ChangedBanner(QWidget* parent = nullptr);

    void showFor(const QString& path, const QString& why);
    QString text() const;
    QPushButton* reloadButton() const { return m_reload; }

signals:
    void reloadRequested();

private:
    QLabel* m_label = nullptr;
    QPushButton* m_reload = nullptr;
};

} // namespace ckpt::app
