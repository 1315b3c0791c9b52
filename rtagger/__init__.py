"""rtagger"""
