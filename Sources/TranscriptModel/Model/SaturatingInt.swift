extension Int {
    /// `Int(d)` traps on NaN, infinity and values past `Int`'s range. Times and durations come from input
    /// (a pcapng timestamp in whole seconds, a delay of 10^18 days), so they are converted with this.
    public init(saturating d: Double) {
        if d.isNaN {
            self = 0
        } else if d >= 9.223_372_036_854_775e18 {
            self = .max
        } else if d <= -9.223_372_036_854_775e18 {
            self = .min
        } else {
            self = Int(d)
        }
    }
}
