package example.greeting;

/** Lives in the GreetingLayer (layer/java/lib/greeting.jar), so the HelloApi function works only with its layer. */
public final class Greeting {
    private Greeting() {}

    /** "Hello, NAME!" ("Hello, World!" for a missing or blank name). */
    public static String greet(String name) {
        return "Hello, " + (name == null || name.isBlank() ? "World" : name.trim()) + "!";
    }
}
