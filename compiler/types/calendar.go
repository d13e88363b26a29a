package types

// DaysIn is the number of days in month m (1-12) of year y in the
// proleptic Gregorian calendar that FHIR dates use. The runtime, its
// writers and the SQL emitter all validate dates with it, so that they
// agree on which dates exist (2024-02-29 does, 2023-02-29 does not).
func DaysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
