namespace DeepSim.ServiceDefaults;
public static class Extensions { }
