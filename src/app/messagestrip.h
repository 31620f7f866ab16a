#pragma once

#include <QFrame>

class QIcon;
class QLabel;

namespace ckpt::app
{

// A coloured strip with an icon and a selectable rich-text message, hidden until there is something to say: the
// one look shared by the security banner and the directory banner.
class MessageStrip : public QFrame
{
    Q_OBJECT
public:
    QString text() const;

protected:
    MessageStrip(const QString& objectName, QWidget* parent);
    // Shows html on the given colours with a 24 px icon.
    void showMessage(const QString& html, const QColor& background, const QColor& foreground, const QIcon& icon);
    // Empties the message and hides the strip.
    void hideMessage();

private:
    QLabel* m_icon = nullptr;
    QLabel* m_label = nullptr;
};

} // namespace ckpt::app
