public enum ExplainerPlaceholder {}
