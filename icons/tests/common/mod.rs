//! Shared by the integration tests.

use ck_icons::Icon;

/// Every icon of the default set (`icons/svg/`); fails if a file was added without listing it here.
pub(crate) fn default_icons() -> Vec<Icon> {
    let icons = vec![
        ck_icons::ALERT,
        ck_icons::ARROW_LEFT,
        ck_icons::ARROW_RIGHT,
        ck_icons::CHECK,
        ck_icons::CHECK_CIRCLE,
        ck_icons::CHEVRON_DOWN,
        ck_icons::CHEVRON_RIGHT,
        ck_icons::CLOCK,
        ck_icons::CLOSE,
        ck_icons::COPY,
        ck_icons::EXTERNAL_LINK,
        ck_icons::EYE,
        ck_icons::EYE_OFF,
        ck_icons::INFO,
        ck_icons::LOCK,
        ck_icons::MAIL,
        ck_icons::MINUS,
        ck_icons::PLUS,
        ck_icons::SEARCH,
        ck_icons::SEND,
        ck_icons::SETTINGS,
        ck_icons::SPINNER,
        ck_icons::TRASH,
        ck_icons::USER,
        ck_icons::WARNING,
    ];
    assert_eq!(
        icons.iter().map(|i| i.name).collect::<Vec<_>>(),
        ck_icons::NAMES,
        "list every default icon (sorted) in tests/common/mod.rs"
    );
    icons
}
