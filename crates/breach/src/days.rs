//! Date arithmetic for the clocks, and the codes of the states and territories.

use jiff::civil::{Date, Weekday};

/// `date` plus `days` calendar days. Scenario dates are years 1900–2999 and the rules' periods
/// at most a year, so the result is always a date; the latest date stands in otherwise.
pub fn add_calendar_days(date: Date, days: u32) -> Date {
    date.checked_add(jiff::Span::new().days(i64::from(days)))
        .unwrap_or(Date::MAX)
}

/// The `days`-th business day after `date`: Monday to Friday, the day of `date` itself not
/// counted. Public holidays are not taken out (they differ by state and year), so where one
/// falls in between the law allows a day more than this date: it is the earlier, safe one.
pub fn add_business_days(date: Date, days: u32) -> Date {
    let mut day = date;
    let mut left = days;
    while left > 0 {
        day = add_calendar_days(day, 1);
        if day == Date::MAX {
            return day;
        }
        if !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) {
            left -= 1;
        }
    }
    day
}

/// The annual report of breaches affecting fewer than 500 (164.408(c)): `days` days after the
/// end of the calendar year of `discovered`. With 60 days that is 1 March of the next year, or
/// 29 February when the next year is a leap year.
pub fn annual_log_due(discovered: Date, days: u32) -> Date {
    add_calendar_days(discovered.last_of_year(), days)
}

/// The 50 states, the District of Columbia and the territories (Puerto Rico, Guam, the US
/// Virgin Islands, American Samoa, the Northern Mariana Islands): postal code and name, as a
/// sentence names it ("the District of Columbia").
const STATES: [(&str, &str); 56] = [
    ("AL", "Alabama"),
    ("AK", "Alaska"),
    ("AZ", "Arizona"),
    ("AR", "Arkansas"),
    ("CA", "California"),
    ("CO", "Colorado"),
    ("CT", "Connecticut"),
    ("DE", "Delaware"),
    ("FL", "Florida"),
    ("GA", "Georgia"),
    ("HI", "Hawaii"),
    ("ID", "Idaho"),
    ("IL", "Illinois"),
    ("IN", "Indiana"),
    ("IA", "Iowa"),
    ("KS", "Kansas"),
    ("KY", "Kentucky"),
    ("LA", "Louisiana"),
    ("ME", "Maine"),
    ("MD", "Maryland"),
    ("MA", "Massachusetts"),
    ("MI", "Michigan"),
    ("MN", "Minnesota"),
    ("MS", "Mississippi"),
    ("MO", "Missouri"),
    ("MT", "Montana"),
    ("NE", "Nebraska"),
    ("NV", "Nevada"),
    ("NH", "New Hampshire"),
    ("NJ", "New Jersey"),
    ("NM", "New Mexico"),
    ("NY", "New York"),
    ("NC", "North Carolina"),
    ("ND", "North Dakota"),
    ("OH", "Ohio"),
    ("OK", "Oklahoma"),
    ("OR", "Oregon"),
    ("PA", "Pennsylvania"),
    ("RI", "Rhode Island"),
    ("SC", "South Carolina"),
    ("SD", "South Dakota"),
    ("TN", "Tennessee"),
    ("TX", "Texas"),
    ("UT", "Utah"),
    ("VT", "Vermont"),
    ("VA", "Virginia"),
    ("WA", "Washington"),
    ("WV", "West Virginia"),
    ("WI", "Wisconsin"),
    ("WY", "Wyoming"),
    ("DC", "the District of Columbia"),
    ("PR", "Puerto Rico"),
    ("GU", "Guam"),
    ("VI", "the U.S. Virgin Islands"),
    ("AS", "American Samoa"),
    ("MP", "the Northern Mariana Islands"),
];

/// Whether `code` is the two-letter postal code (in capitals) of a state or territory.
pub fn is_state_code(code: &str) -> bool {
    state_name(code).is_some()
}

/// The name of the state or territory whose postal code (in capitals) is `code`.
pub fn state_name(code: &str) -> Option<&'static str> {
    STATES
        .iter()
        .find(|(known, _)| *known == code)
        .map(|(_, name)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn business_days_skip_weekends() {
        // Friday 2 January 2026: the 1st business day after is Monday 5 January.
        assert_eq!(add_business_days(date(2026, 1, 2), 1), date(2026, 1, 5));
        // Saturday 3 January 2026: Monday 5 is the first, Friday 9 the fifth.
        assert_eq!(add_business_days(date(2026, 1, 3), 5), date(2026, 1, 9));
        assert_eq!(add_business_days(date(2026, 1, 5), 0), date(2026, 1, 5));
    }

    #[test]
    fn the_annual_log_is_due_on_1_march_or_29_february() {
        assert_eq!(annual_log_due(date(2026, 6, 1), 60), date(2027, 3, 1));
        assert_eq!(annual_log_due(date(2027, 1, 1), 60), date(2028, 2, 29));
    }

    #[test]
    fn state_codes() {
        assert!(is_state_code("OH"));
        assert!(is_state_code("PR"));
        assert!(!is_state_code("oh"));
        assert!(!is_state_code("ZZ"));
        assert_eq!(state_name("DC"), Some("the District of Columbia"));
        assert_eq!(state_name("oh"), None);
    }
}
