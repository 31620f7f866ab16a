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
    m_combo->setMinimumContentsLength(22);
    m_combo->setMaximumWidth(360);
    m_combo->setMaxVisibleItems(20);
    m_combo->setToolTip(tr("Check the checkpoint against an architecture: type to search the built-in catalog"));
    m_combo->lineEdit()->setPlaceholderText(tr("search, e.g. resnet"));
    label->setBuddy(m_combo);
    m_combo->addItem(tr("(none)"), QString());
    for (const std::string& name : catalogNames()) {
        const QString spec = QStringLiteral("builtin:") + QString::fromStdString(name);
        m_combo->addItem(spec, spec);
    }
    auto* completer = new QCompleter(m_combo->model(), m_combo);
    completer->setFilterMode(Qt::MatchContains);
    completer->setCaseSensitivity(Qt::CaseInsensitive);
    completer->setCompletionMode(QCompleter::PopupCompletion);
    m_combo->setCompleter(completer);
    connect(m_combo, qOverload<int>(&QComboBox::activated), this, &ArchitectureChooser::activate);

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
