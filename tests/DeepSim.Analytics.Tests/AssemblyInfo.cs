// Anonymous request bodies in tests read best with their arrays inline.
[assembly: System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1861", Justification = "test request bodies")]
