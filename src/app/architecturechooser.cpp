#include "app/architecturechooser.h"

#include <QComboBox>
#include <QCompleter>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QToolButton>

#include "core/analysis/architecturecatalog.h"

namespace ckpt::app
{

ArchitectureChooser::ArchitectureChooser(QWidget* parent) : QWidget(parent)
{
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(4, 0, 4, 0);
    auto* label = new QLabel(tr("&Architecture:"), this);
    m_combo = new QComboBox(this);
    m_combo->setEditable(true);
    m_combo->setInsertPolicy(QComboBox::NoInsert);
    // Wide enough for "tinyresnet (the sample's JSON)" or "resnet18  100% fit" at 1024 pixels.
    m_combo->setMinimumContentsLength(30);
    m_combo->setMaximumWidth(360);
    m_combo->setMaxVisibleItems(20);
    m_combo->setToolTip(tr("Check the checkpoint against an architecture: type to search the built-in catalog"));
    m_combo->lineEdit()->setPlaceholderText(tr("search, e.g. resnet"));
    label->setBuddy(m_combo);
    fillCatalog({});
    auto* completer = new QCompleter(m_combo->model(), m_combo);
    completer->setFilterMode(Qt::MatchContains);
    completer->setCaseSensitivity(Qt::CaseInsensitive);
    completer->setCompletionMode(QCompleter::PopupCompletion);
    m_combo->setCompleter(completer);
    connect(m_combo, qOverload<int>(&QComboBox::activated), this, &ArchitectureChooser::activate);
    connect(m_combo, &QComboBox::currentIndexChanged, this, &ArchitectureChooser::showTextStart);

    m_more = new QToolButton(this);
    m_more->setText(tr("Other..."));
    m_more->setToolTip(tr("Use a TorchScript file, another checkpoint or a JSON key list as the architecture"));
    m_more->setPopupMode(QToolButton::InstantPopup);
    m_menu = new QMenu(m_more);
    m_more->setMenu(m_menu);

    layout->addWidget(label);
    layout->addWidget(m_combo);
    layout->addWidget(m_more);
}

void ArchitectureChooser::setFileActions(const QList<QAction*>& actions)
{
    m_menu->addActions(actions);
}

void ArchitectureChooser::setCurrentSpec(const QString& spec, const QString& label)
{
    const QSignalBlocker block(m_combo);
    int index = m_combo->findData(spec);
    if (index < 0) {
        const QString text = label.isEmpty() ? QFileInfo(spec).fileName() : label;
        m_combo->addItem(text, spec);
        m_combo->setItemData(m_combo->count() - 1, spec, Qt::ToolTipRole);
        index = m_combo->count() - 1;
    }
    m_combo->setCurrentIndex(index);
    showTextStart();
}

void ArchitectureChooser::fillCatalog(const std::vector<ArchitectureFit>& ranking)
{
    const QSignalBlocker block(m_combo);
    const QString current = m_combo->currentData().toString();
    // Files chosen earlier stay at the end of the list.
    QList<QPair<QString, QString>> files;
    for (int i = 0; i < m_combo->count(); ++i) {
        const QString spec = m_combo->itemData(i).toString();
        if (!spec.isEmpty() && !spec.startsWith(QLatin1String("builtin:"))) files.append({m_combo->itemText(i), spec});
    }
    m_combo->clear();
    m_combo->addItem(tr("(none)"), QString());
    if (ranking.empty()) {
        for (const std::string& name : catalogNames()) {
            const QString spec = QStringLiteral("builtin:") + QString::fromStdString(name);
            m_combo->addItem(spec, spec);
        }
    } else {
        for (const ArchitectureFit& fit : ranking) {
            const QString spec = QStringLiteral("builtin:") + QString::fromStdString(fit.name);
            QString text = tr("%1  %2% fit").arg(QString::fromStdString(fit.name)).arg(int(fit.fit * 100 + 0.5));
            if (!fit.hint.empty()) text += tr(" (the file says %1)").arg(QString::fromStdString(fit.hint));
            m_combo->addItem(text, spec);
            m_combo->setItemData(m_combo->count() - 1,
                                 tr("%1: %2 of %3 keys and %4 shapes match (the file has %5 keys)")
                                     .arg(spec)
                                     .arg(fit.keysMatched)
                                     .arg(fit.archKeys)
                                     .arg(fit.shapesMatched)
                                     .arg(fit.fileKeys),
                                 Qt::ToolTipRole);
        }
    }
    for (const auto& [text, spec] : files) {
        m_combo->addItem(text, spec);
        m_combo->setItemData(m_combo->count() - 1, spec, Qt::ToolTipRole);
    }
    const int index = m_combo->findData(current);
    m_combo->setCurrentIndex(index < 0 ? 0 : index);
    showTextStart();
}

void ArchitectureChooser::showTextStart()
{
    // An editable combo leaves its cursor after the last character, so a text wider than the field shows its
    // end ("inyresnet (the sample's JSON)"); the name that matters is at the start.
    m_combo->lineEdit()->setCursorPosition(0);
}

QLineEdit* ArchitectureChooser::lineEdit() const
{
    return m_combo->lineEdit();
}

void ArchitectureChooser::setRanking(const std::vector<ArchitectureFit>& ranking)
{
    fillCatalog(ranking);
}

QStringList ArchitectureChooser::entryTexts() const
{
    QStringList texts;
    for (int i = 0; i < m_combo->count(); ++i)
        texts << m_combo->itemText(i);
    return texts;
}

QString ArchitectureChooser::currentSpec() const
{
    return m_combo->currentData().toString();
}

void ArchitectureChooser::activate(int index)
{
    emit architectureChosen(m_combo->itemData(index).toString());
}

} // namespace ckpt::app
